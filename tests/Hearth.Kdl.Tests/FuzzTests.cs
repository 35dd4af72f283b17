using System.Diagnostics;

namespace Hearth.Kdl.Tests;

/// <summary>
/// A seeded random mutator over the official suite: every mutant must either parse or fail with a
/// <see cref="KdlParseException"/>, never another exception, and each parse must finish quickly.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Fragments =
    [
        "\"",
        "\"\"\"",
        "#",
        "##\"",
        "\"#",
        "/-",
        "/*",
        "*/",
        "//",
        "\\",
        "{",
        "}",
        "(",
        ")",
        ";",
        "=",
        "\n",
        "\r\n",
        "\r",
        "\u0085",
        "\u2028",
        "\t",
        " ",
        "\u00A0",
        "\uFEFF",
        "\u200E",
        "\0",
        "\u007F",
        "0x",
        "0b",
        "0o",
        ".",
        "e",
        "E+",
        "_",
        "-",
        "+",
        "#true",
        "#null",
        "#-inf",
        "\\u{",
        "\\u{10FFFF}",
        "😀",
        "\uD800",
        "\uDC00",
        "a",
        "1",
        "node",
        "\\s",
        "\\\n",
    ];

    [Fact]
    public void Random_mutations_of_the_suite_never_crash_or_hang()
    {
        var inputs = Directory
            .GetFiles(Fixtures.Path("kdl", "v2", "input"), "*.kdl")
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();
        var random = new Random(20260207);
        var budget = Stopwatch.StartNew();
        int runs = 0,
            parsed = 0;
        while (budget.Elapsed < TimeSpan.FromSeconds(5) || runs < 2_000)
        {
            string mutant = Mutate(inputs[random.Next(inputs.Length)], inputs, random);
            var one = Stopwatch.StartNew();
            try
            {
                var document = KdlReader.Parse(mutant, "mutant.kdl");
                _ = KdlWriter.Write(document);
                parsed++;
            }
            catch (KdlParseException ex)
            {
                Assert.True(ex.Location.Line >= 1 && ex.Location.Column >= 1, ex.Message);
            }
            catch (Exception ex)
            {
                Assert.Fail($"crash on mutant {Escape(mutant)}: {ex}");
            }

            Assert.True(
                one.ElapsedMilliseconds < 1_000,
                $"slow parse ({one.ElapsedMilliseconds} ms) of {Escape(mutant)}"
            );
            runs++;
            if (runs >= 200_000)
            {
                break;
            }
        }

        Assert.True(
            parsed > 0 && parsed < runs,
            $"mutator should produce both valid and invalid documents ({parsed}/{runs})"
        );
    }

    [Fact]
    public void Mutated_documents_that_parse_round_trip_through_the_writer()
    {
        var inputs = Directory
            .GetFiles(Fixtures.Path("kdl", "v2", "input"), "*.kdl")
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();
        var random = new Random(7);
        int checkedCount = 0;
        for (int i = 0; i < 5_000; i++)
        {
            string mutant = Mutate(inputs[random.Next(inputs.Length)], inputs, random);
            if (!KdlReader.TryParse(mutant, out var document, out _))
            {
                continue;
            }

            string written = KdlWriter.Write(document!);
            string rewritten = KdlWriter.Write(KdlReader.Parse(written, "rewritten.kdl"));
            Assert.Equal(written, rewritten);
            checkedCount++;
        }

        Assert.True(checkedCount > 100, $"only {checkedCount} mutants parsed");
    }

    private static string Mutate(string text, string[] corpus, Random random)
    {
        var chars = new System.Text.StringBuilder(text);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int at = chars.Length == 0 ? 0 : random.Next(chars.Length + 1);
            switch (random.Next(5))
            {
                case 0 when chars.Length > 0 && at < chars.Length:
                    chars.Remove(at, Math.Min(random.Next(1, 4), chars.Length - at));
                    break;
                case 1:
                    chars.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2 when chars.Length > 0 && at < chars.Length:
                    chars[at] = (char)random.Next(0, 0x3100);
                    break;
                case 3:
                    string other = corpus[random.Next(corpus.Length)];
                    int from = other.Length == 0 ? 0 : random.Next(other.Length);
                    chars.Insert(at, other.AsSpan(from, Math.Min(other.Length - from, random.Next(1, 30))));
                    break;
                default:
                    if (chars.Length > 1 && at < chars.Length - 1)
                    {
                        (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
                    }

                    break;
            }
        }

        return chars.ToString();
    }

    private static string Escape(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
