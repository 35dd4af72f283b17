using System.Net;
using System.Text;
using System.Text.Json;
using Hearth.Server.Api;

namespace Hearth.Server.Tests;

/// <summary>
/// A body of the wrong shape is refused in the API's words: the field and what it should be, no .NET type.
/// </summary>
public sealed class RequestBodyErrorTests
{
    [Theory]
    [InlineData("""{"command": "echo hi"}""", "field command (line 1): expected a list of strings")]
    [InlineData(
        """{"command": ["true"], "env": ["A=1"]}""",
        "field env (line 1): expected an object whose values are strings"
    )]
    [InlineData("""{"command": ["true"], "pids": "many"}""", "field pids (line 1): expected a whole number")]
    [InlineData("""{"command": ["true"], "network": "yes"}""", "field network (line 1): expected true or false")]
    [InlineData("""{"command": ["true"], "retry": 3}""", "field retry (line 1): expected an object")]
    [InlineData("""{"command": ["true"],""", "request body")]
    public async Task A_wrong_json_type_names_the_field_and_what_was_expected(string body, string expected)
    {
        await using var server = await TestServer.StartAsync();
        var response = await server
            .Client(server.AdminKey)
            .PostAsync("api/v1/runs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument
            .Parse(await response.Content.ReadAsStringAsync())
            .RootElement.GetProperty("error")
            .GetString()!;
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain("System.", error);
        Assert.DoesNotContain("`", error);
    }

    [Theory]
    [InlineData("System.Collections.Generic.IReadOnlyList`1[System.String]", "a list of strings")]
    [InlineData(
        "System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String]",
        "an object whose values are strings"
    )]
    [InlineData("System.Nullable`1[System.Int32]", "a whole number")]
    [InlineData("System.String[]", "a list of strings")]
    [InlineData("System.Double", "a number")]
    public void Dotnet_types_are_said_in_json_words(string type, string expected) =>
        Assert.Equal(expected, JsonErrors.Expected(type));
}
