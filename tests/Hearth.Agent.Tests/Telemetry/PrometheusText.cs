using System.Globalization;
using System.Text.RegularExpressions;

namespace Hearth.Agent.Tests.Telemetry;

/// <summary>A scrape in Prometheus' text format, read into series (name, labels, value) for exact assertions.</summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _series = [];

    public PrometheusText(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var match = Sample().Match(line);
            if (!match.Success)
                throw new FormatException($"not a Prometheus sample line: '{line}'");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
                labels[label.Groups["key"].Value] = Regex.Unescape(label.Groups["value"].Value);
            _series.Add((match.Groups["name"].Value, labels, Number(match.Groups["value"].Value)));
        }
    }

    public string Text { get; }

    private static double Number(string text) =>
        text switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(text, CultureInfo.InvariantCulture),
        };

    public bool Has(string name) => _series.Any(s => s.Name == name);

    /// <summary>
    /// The sum over the series of <paramref name="name"/> that carry every label given (0 when there is none).
    /// </summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        _series
            .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .Sum(s => s.Value);

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{url}: {(int)response.StatusCode} {body}");
        return new PrometheusText(body);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex Label();
}
