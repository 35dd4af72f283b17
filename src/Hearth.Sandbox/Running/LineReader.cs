using System.Buffers;
using System.Text;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Splits a byte stream into lines. A line longer than <c>maxLineBytes</c> is delivered in pieces of at
/// most that size; a UTF-8 sequence cut by such a split is carried into the next piece rather than broken.
/// Invalid UTF-8 becomes U+FFFD. A trailing "\r" before "\n" is dropped.
/// </summary>
internal sealed class LineReader(Stream source, int maxLineBytes)
{
    public const int DefaultMaxLineBytes = 64 * 1024;

    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();

    public Task ReadAllAsync(Func<string, CancellationToken, ValueTask> onLine, CancellationToken cancellationToken) =>
        ReadAllAsync((line, _, ct) => onLine(line, ct), cancellationToken);

    /// <param name="onPiece">Gets each line, or piece of a long line with true when the next piece continues it.</param>
    public async Task ReadAllAsync(Func<string, bool, CancellationToken, ValueTask> onPiece, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 4);
        // One byte more than a line may hold, so a newline right after a full line is seen before splitting. Pooled: most
        // sandboxes print a few lines, and two fresh buffers per stream (the chars on the large-object heap) made the
        // agent's garbage collector the busiest part of a short task.
        var size = maxLineBytes + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var chars = ArrayPool<char>.Shared.Rent(maxLineBytes + 8);
        var count = 0;
        while (true)
        {
            var read = await source.ReadAsync(buffer.AsMemory(count, size - count), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            var scanFrom = count;
            count += read;
            var start = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', scanFrom, count - scanFrom)) >= 0)
            {
                var end = newline > start && buffer[newline - 1] == (byte)'\r' ? newline - 1 : newline;
                await onPiece(Decode(buffer, start, end - start, chars, flush: true), false, cancellationToken).ConfigureAwait(false);
                start = newline + 1;
                scanFrom = start;
            }
            if (start == 0 && count == size)
            {
                // A full buffer without a newline: deliver it as one piece, keep decoding state for the rest.
                await onPiece(Decode(buffer, 0, maxLineBytes, chars, flush: false), true, cancellationToken).ConfigureAwait(false);
                buffer[0] = buffer[maxLineBytes];
                count = 1;
                continue;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, count - start);
                count -= start;
            }
        }
        if (count > 0)
        {
            await onPiece(Decode(buffer, 0, count, chars, flush: true), false, cancellationToken).ConfigureAwait(false);
        }
        // Returned only after a clean end: after a cancelled read nothing may still write into them.
        ArrayPool<byte>.Shared.Return(buffer);
        ArrayPool<char>.Shared.Return(chars);
    }

    private string Decode(byte[] bytes, int offset, int length, char[] chars, bool flush)
    {
        var written = _decoder.GetChars(bytes, offset, length, chars, 0, flush);
        return new string(chars, 0, written);
    }
}
