namespace Hearth.Sandbox.Oci.Networking;

/// <summary>An exclusive flock on a file, shared by every process that sets up sandboxes on the same bridge.</summary>
internal static class StateLock
{
    public static async Task<FileStream> AcquireAsync(
        string path,
        TimeProvider time,
        CancellationToken cancellationToken
    )
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken);
            }
        }
    }
}
