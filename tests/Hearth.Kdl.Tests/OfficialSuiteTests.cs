using System.Text;

namespace Hearth.Kdl.Tests;

/// <summary>Runs every case of the official KDL 2 test suite found in the fixtures folder.</summary>
public class OfficialSuiteTests
{
    private static readonly string SuiteDir = Fixtures.Path("kdl", "v2");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (
            var file in Directory.EnumerateFiles(Path.Combine(SuiteDir, "input"), "*.kdl").Order(StringComparer.Ordinal)
        )
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Suite_is_present_and_complete()
    {
        var inputs = Directory.GetFiles(Path.Combine(SuiteDir, "input"), "*.kdl");
        Assert.True(inputs.Length >= 269, $"expected the full suite, found {inputs.Length} inputs");
        foreach (var input in inputs.Where(f => !f.EndsWith("_fail.kdl", StringComparison.Ordinal)))
        {
            Assert.True(File.Exists(Path.Combine(SuiteDir, "expected_kdl", Path.GetFileName(input))), input);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_expected_output_or_is_rejected(string name)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(SuiteDir, "input", name));
        if (name.EndsWith("_fail.kdl", StringComparison.Ordinal))
        {
            var error = Assert.Throws<KdlParseException>(() => KdlReader.Parse(input, name));
            Assert.True(error.Location.Line >= 1 && error.Location.Column >= 1, error.Message);
            Assert.StartsWith(name + ":", error.Message, StringComparison.Ordinal);
            return;
        }

        string expected = File.ReadAllText(Path.Combine(SuiteDir, "expected_kdl", name), Encoding.UTF8);
        string actual = KdlWriter.Write(KdlReader.Parse(input, name));
        Assert.Equal(expected, actual);
    }
}
