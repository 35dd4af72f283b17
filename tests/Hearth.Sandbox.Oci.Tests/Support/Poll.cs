namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>
/// Waits for a state the test cannot be told about, failing with what it waited for after a deadline.
/// </summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not within {timeout}");
            await Task.Delay(20);
        }
    }
}
