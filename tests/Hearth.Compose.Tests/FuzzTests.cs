using System.Diagnostics;
using System.Text;
using Hearth.Compose.Loading;
using Hearth.Compose.Output;

namespace Hearth.Compose.Tests;

/// <summary>
/// Seeded mutations of every fixture: the loader must return a project or errors, never throw or hang, and any
/// project it returns must print.
/// </summary>
public class FuzzTests
{
    private const int Seed = 20240611;
    private const int MutationsPerFile = 40;
    private static readonly string[] Fragments =
    [
        "${",
        "}",
        "$$",
        ":",
        "- ",
        "\t",
        "&a ",
        "*a",
        "<<: *a",
        "{",
        "[",
        "\"",
        "'",
        "\n  ",
        "~",
        "!!binary ",
        "? ",
        "---\n",
        "\u00e9",
        "0x",
        "-1",
        "services:",
        "extends: x",
    ];

    [Fact]
    public void Mutated_fixtures_never_crash_or_hang()
    {
        var random = new Random(Seed);
        var files = Fixtures.ValidFiles().Concat(Fixtures.InvalidFiles()).ToList();
        var clock = Stopwatch.StartNew();
        var runs = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            for (var i = 0; i < MutationsPerFile; i++)
            {
                var mutated = Mutate(text, random);
                var one = Stopwatch.StartNew();
                var result = LoadInMemory(mutated);
                Assert.True(one.Elapsed < TimeSpan.FromSeconds(2), $"slow input from {file}:\n{mutated}");
                Assert.True(result.Success ^ result.Errors.Count > 0);
                if (result.Success)
                    Assert.NotNull(ComposeConfigWriter.Write(result.Project!));
                runs++;
            }
        }
        Assert.Equal(files.Count * MutationsPerFile, runs);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    private static ComposeLoadResult LoadInMemory(string text)
    {
        try
        {
            return ComposeLoader.Load(
                new ComposeLoadOptions
                {
                    Files = ["/fuzz/compose.yaml"],
                    WorkingDirectory = "/fuzz",
                    FileSystem = new InMemoryComposeFileSystem(
                        new Dictionary<string, string> { ["/fuzz/compose.yaml"] = text }
                    ),
                }
            );
        }
        catch (Exception ex)
        {
            Assert.Fail($"loader threw {ex.GetType().Name}: {ex.Message}\n--- input ---\n{text}");
            throw;
        }
    }

    private static string Mutate(string text, Random random)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0:
                    sb.Remove(at, Math.Min(random.Next(1, 20), sb.Length - at));
                    break;
                case 1:
                    sb.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2:
                    sb[at] = (char)random.Next(32, 127);
                    break;
                default:
                    var from = random.Next(sb.Length);
                    var length = Math.Min(random.Next(1, 60), sb.Length - from);
                    sb.Insert(at, sb.ToString(from, length));
                    break;
            }
        }
        return sb.ToString();
    }
}
