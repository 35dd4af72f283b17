using System.CommandLine;
using Hearth.Server;
using Hearth.Server.OpenApi;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth api spec [--agent]: the OpenAPI document a server serves at /openapi/…, printed with no server running.
/// </summary>
public static class ApiCommand
{
    public static Command Create()
    {
        var agent = new Option<bool>("--agent")
        {
            Description = "The agent protocol's document (agent-v1) instead of the public API's (v1)",
        };
        var spec = new Command("spec", "Print the API's OpenAPI 3.1 document (JSON), as served at /openapi/v1.json")
        {
            agent,
        };
        spec.SetAction(
            async (result, ct) =>
            {
                var name = result.GetValue(agent) ? ApiDocuments.Agent : ApiDocuments.Public;
                await Console.Out.WriteLineAsync(await HearthServer.DescribeAsync(name, ct));
                return 0;
            }
        );
        return new Command("api", "Describe Hearth's HTTP API") { spec };
    }
}
