using System.Text;

namespace Hearth.Workflows.Tests.Schedules;

/// <summary>Reads the cron vectors in ../shared/fixtures/cron (RFC 4180, every field quoted, spaces kept).</summary>
internal static class CronFixtures
{
    public static string Path(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Hearth.sln")))
                return System.IO.Path.GetFullPath(
                    System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures", "cron", file)
                );
        }
        throw new InvalidOperationException("Hearth.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Each row as a column-name → value map.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Read(string file)
    {
        var records = Parse(File.ReadAllText(Path(file)));
        var header = records[0];
        return records
            .Skip(1)
            .Select(r =>
            {
                Assert.Equal(header.Count, r.Count);
                return (IReadOnlyDictionary<string, string>)header.Zip(r).ToDictionary(p => p.First, p => p.Second);
            })
            .ToList();
    }

    private static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                    quoted = false;
                else
                    field.Append(c);
            }
            else if (c == '"')
                quoted = true;
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
            }
            else if (c != '\r')
                field.Append(c);
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }
        return records;
    }
}
