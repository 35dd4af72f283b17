using System.Text;

namespace Hearth.Workflows.Imports;

internal static class Utf8Text
{
    private static readonly UTF8Encoding Strict = new(
        encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true
    );

    public static string Decode(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ImportFetchException($"{what} is not valid UTF-8", ex);
        }
    }

    /// <summary>Reads a local file, refusing files larger than <paramref name="maxBytes"/>.</summary>
    public static string ReadFile(string path, long maxBytes)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > maxBytes)
            {
                throw new ImportFetchException($"{path} is {stream.Length} bytes, more than the limit of {maxBytes}");
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return Decode(bytes, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImportFetchException(
                ex is FileNotFoundException or DirectoryNotFoundException
                    ? $"{path} does not exist"
                    : $"cannot read {path}: {ex.Message}",
                ex
            );
        }
    }
}
