using System.Text.Json;
using Hearth.Compose.Interpolation;

namespace Hearth.Compose.Tests;

public class InterpolationVectorTests
{
    private static readonly JsonElement Root = JsonDocument
        .Parse(File.ReadAllText(Path.Combine(Fixtures.ComposeDirectory, "interpolation-vectors.json")))
        .RootElement;

    public static TheoryData<int> Cases
    {
        get
        {
            var data = new TheoryData<int>();
            for (var i = 0; i < Root.GetProperty("cases").GetArrayLength(); i++)
                data.Add(i);
            return data;
        }
    }

    [Fact]
    public void All_sixty_cases_are_present() => Assert.Equal(60, Root.GetProperty("cases").GetArrayLength());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_substitutes_as_compose_does(int index)
    {
        var env = Root.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var testCase = Root.GetProperty("cases")[index];
        var result = Template.Substitute(testCase.GetProperty("template").GetString()!, env.GetValueOrDefault);
        if (testCase.TryGetProperty("error", out var error))
        {
            Assert.False(result.Ok, $"expected an error, got \"{result.Value}\"");
            Assert.Contains(error.GetString()!, result.Error);
        }
        else
        {
            Assert.True(result.Ok, result.Error);
            Assert.Equal(testCase.GetProperty("expected").GetString(), result.Value);
        }
    }
}
