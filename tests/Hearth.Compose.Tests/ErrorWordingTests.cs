using Hearth.Compose.Loading;

namespace Hearth.Compose.Tests;

/// <summary>
/// What a refused compose file says: the file, line and column of what is wrong, and no .NET wording.
/// </summary>
public class ErrorWordingTests
{
    [Fact]
    public void An_unclosed_flow_mapping_names_the_bracket_not_a_dotnet_state()
    {
        var result = InMemory.Load("x-base: &base {a: [1, 2]\nservices:\n  web:\n    <<: *base\n    image: a\n");

        Assert.Equal(
            ["/project/compose.yaml:1:15: invalid YAML: this '{' is never closed (expected '}')"],
            result.Errors.Select(e => e.ToString())
        );
    }

    [Theory]
    [InlineData("services:\n\tweb:\n    image: a\n", 2, 1)]
    [InlineData("services:\n  web:\n\timage: a\n", 3, 1)]
    [InlineData("services:\n  web:\n    image: a\n  \tports: [\"80\"]\n", 4, 3)]
    public void A_tab_in_indentation_is_reported_on_its_own_line(string text, int line, int column)
    {
        var error = Assert.Single(InMemory.Load(text).Errors);

        Assert.Equal(
            $"/project/compose.yaml:{line}:{column}: found a tab character that violates indentation (YAML indents with spaces only)",
            error.ToString()
        );
    }

    [Fact]
    public void A_missing_file_is_its_path_and_no_such_file()
    {
        var result = ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = ["missing.yaml"],
                WorkingDirectory = "/project",
                FileSystem = new InMemoryComposeFileSystem(new Dictionary<string, string>()),
                Environment = new Dictionary<string, string>(),
            }
        );

        Assert.Equal(["/project/missing.yaml: no such file"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_port_with_too_many_parts_is_refused_naming_the_field()
    {
        var result = InMemory.Load("services:\n  web:\n    image: a\n    ports: [\"8080:80\", \"80:80:80:80\"]\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal("services.web.ports[1]", error.Path);
        Assert.Equal(4, error.Line);
        Assert.Contains("\"80:80:80:80\"", error.Message);
        Assert.Contains("'80:80' is not an IP address", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:8080:80", "127.0.0.1")]
    [InlineData("::1:8080:80", "::1")]
    [InlineData("[::1]:8080:80", "::1")]
    public void Host_ips_in_dotted_or_ipv6_form_are_kept(string spec, string hostIp)
    {
        var project = InMemory.Project($"services:\n  web:\n    image: a\n    ports: [\"{spec}\"]\n");

        Assert.Equal(hostIp, Assert.Single(project.Services["web"].Ports).HostIp);
    }
}
