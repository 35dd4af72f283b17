using Hearth.Core.Runs;

namespace Hearth.Server.Api;

/// <summary>Run states as users type them: SUCCEEDED, timed_out, TimedOut.</summary>
public static class RunStates
{
    public static IEnumerable<string> Names => Enum.GetValues<RunState>().Select(ToName);

    public static string ToName(RunState state) =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString());

    public static bool TryParse(string text, out RunState state)
    {
        foreach (var candidate in Enum.GetValues<RunState>())
        {
            if (
                string.Equals(ToName(candidate), text.Replace('-', '_'), StringComparison.OrdinalIgnoreCase)
                || string.Equals(candidate.ToString(), text, StringComparison.OrdinalIgnoreCase)
            )
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }
}
