using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hearth.Compose.Tests;

public class FixtureTests
{
    public static TheoryData<string> Valid => Fixtures.Theory(Fixtures.ValidFiles());

    public static TheoryData<string> Invalid => Fixtures.Theory(Fixtures.InvalidFiles());

    public static TheoryData<string> Incomplete =>
        Fixtures.Theory(Fixtures.IncompleteExtendsSources.Keys.Select(k => Path.Combine(Fixtures.ComposeDirectory, k)));

    internal static ComposeLoadResult Load(string relative, bool resolveEnvFiles = true, bool? consistency = null) =>
        ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = [Path.Combine(Fixtures.ComposeDirectory, relative)],
                WorkingDirectory = Fixtures.ComposeDirectory,
                Environment = new Dictionary<string, string> { ["HOME"] = "/home/user" },
                ResolveEnvFiles = resolveEnvFiles,
                CheckConsistency = consistency ?? !Fixtures.SchemaOnly.Contains(relative),
            }
        );

    [Fact]
    public void Fixture_folders_are_found()
    {
        Assert.True(Fixtures.ValidFiles().Count() >= 30);
        Assert.True(Fixtures.InvalidFiles().Count() >= 17);
    }

    // The fixtures were copied without the env files some of them name (full-example.yml's example1.env), so
    // validity is checked the way `docker compose config --no-env-resolution` checks it.
    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_file_loads(string file)
    {
        var result = Load(file, resolveEnvFiles: false);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.NotEmpty(result.Project!.Services);
    }

    [Fact]
    public void Full_example_fails_the_consistency_checks_docker_compose_would_make()
    {
        var result = Load("compose-go/full-example.yml", resolveEnvFiles: false, consistency: true);
        Assert.False(result.Success);
        Assert.Contains(result.Errors, e => e.Message.Contains("depends on undefined service \"db\""));
        Assert.Contains(result.Errors, e => e.Message.Contains("mutually exclusive `network_mode` and `networks`"));
    }

    [Fact]
    public void Missing_image_is_accepted_without_consistency_checks()
    {
        Assert.True(Load("invalid/no-consistency-missing-image.yaml", consistency: false).Success);
    }

    [Fact]
    public void Missing_required_env_file_is_refused_when_env_files_are_resolved()
    {
        var result = Load("compose-go/full-example.yml");
        var error = Assert.Single(result.Errors);
        Assert.Contains("example1.env not found", error.Message);
        Assert.Equal("services.foo.env_file", error.Path);
    }

    [Theory]
    [MemberData(nameof(Incomplete))]
    public void Extends_source_alone_is_refused_like_docker_compose(string file)
    {
        var result = Load(file);
        Assert.False(result.Success);
        Assert.Contains(result.Errors, e => e.Message.Contains(Fixtures.IncompleteExtendsSources[file]));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_file_is_refused_with_the_expected_error(string file)
    {
        var expected = ExpectedError(Path.GetFileName(file));
        var result = Load(file);
        Assert.False(result.Success);
        Assert.NotEmpty(result.Errors);
        Assert.Contains(result.Errors, e => Normalize(e.Message).Contains(expected));
        Assert.All(result.Errors, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.File));
            Assert.True(e.Line >= 1 && e.Column >= 1, e.ToString());
        });
    }

    private static string ExpectedError(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.InvalidDirectory, "EXPECTED.json")));
        var text = doc.RootElement.GetProperty(name).GetProperty("error").GetString()!;
        // EXPECTED.json appends notes in parentheses or after ';' that are not part of the message.
        var note = text.IndexOf(" (", StringComparison.Ordinal);
        return Normalize(note > 0 ? text[..note] : text);
    }

    // Compose writes list indexes as ".0" and says "a integer"; Hearth writes "[0]" and "an integer".
    private static string Normalize(string message) =>
        Regex.Replace(message, @"\[(\d+)\]", ".$1").Replace(" a integer", " an integer");
}
