using System.Diagnostics;
using System.Text;
using Hearth.Kdl;
using Hearth.Kdl.Bench;

// Parses a generated ~1 MB document repeatedly and prints timing statistics.
int size = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1024 * 1024;
int iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 50;

string text = DocumentGenerator.Generate(size, seed: 42);
byte[] utf8 = Encoding.UTF8.GetBytes(text);
Console.WriteLine($"document: {utf8.Length:N0} bytes UTF-8, {text.Length:N0} chars");

for (int i = 0; i < 5; i++)
{
    KdlReader.Parse(utf8, "bench.kdl");
}

var fromString = Measure(() => KdlReader.Parse(text, "bench.kdl"));
var fromBytes = Measure(() => KdlReader.Parse(utf8, "bench.kdl"));
var nodeCount = Count(KdlReader.Parse(text).Nodes);
Console.WriteLine($"nodes: {nodeCount:N0}");
Report("parse string", fromString);
Report("parse UTF-8 bytes (incl. decoding)", fromBytes);

List<double> Measure(Action action)
{
    var samples = new List<double>(iterations);
    for (int i = 0; i < iterations; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        samples.Add(watch.Elapsed.TotalMilliseconds);
    }

    samples.Sort();
    return samples;
}

void Report(string name, List<double> samples)
{
    double median = samples[samples.Count / 2];
    double p90 = samples[(int)(samples.Count * 0.9)];
    double mbPerSecond = utf8.Length / 1024.0 / 1024.0 / (median / 1000.0);
    Console.WriteLine(
        $"{name}: min {samples[0]:0.00} ms, median {median:0.00} ms, p90 {p90:0.00} ms, {mbPerSecond:0} MB/s ({iterations} runs)"
    );
}

static int Count(IReadOnlyList<KdlNode> nodes) => nodes.Count + nodes.Sum(n => Count(n.Children));
