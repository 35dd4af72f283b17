using Hearth.Compose.Loading;
using Hearth.Compose.Output;

namespace Hearth.Compose.Tests;

public class ConfigWriterTests
{
    public static TheoryData<string> Valid => FixtureTests.Valid;

    [Theory]
    [MemberData(nameof(Valid))]
    public void Output_loads_back_to_the_same_output(string file)
    {
        var first = FixtureTests.Load(file, resolveEnvFiles: false);
        Assert.True(first.Success, string.Join("\n", first.Errors));
        var printed = ComposeConfigWriter.Write(first.Project!);

        var outputPath = Path.Combine(
            Path.GetDirectoryName(Path.Combine(Fixtures.ComposeDirectory, file))!,
            "config-output.yaml"
        );
        var second = ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = [outputPath],
                FileSystem = new InMemoryComposeFileSystem(new Dictionary<string, string> { [outputPath] = printed }),
                ResolveEnvFiles = false,
                CheckConsistency = !Fixtures.SchemaOnly.Contains(file),
            }
        );
        Assert.True(second.Success, string.Join("\n", second.Errors) + "\n---\n" + printed);
        Assert.Equal(printed, ComposeConfigWriter.Write(second.Project!));
    }

    [Fact]
    public void Output_is_long_syntax_with_defaults_filled()
    {
        var result = FixtureTests.Load("compose-go/simple/compose-with-variables.yaml");
        var printed = ComposeConfigWriter.Write(result.Project!);
        Assert.Equal(
            """
            name: simple
            services:
              simple:
                image: nginx
                networks:
                  default: null
                ports:
                  - mode: ingress
                    protocol: tcp
                    published: "8000"
                    target: 80
            networks:
              default:
                name: simple_default

            """.Replace("\r\n", "\n"),
            printed
        );
    }
}
