using System.Buffers;

namespace Hearth.Cli.Client;

/// <summary>A response body read whole into a buffer rented from the shared pool; Dispose gives it back.</summary>
public sealed class RentedBody : IDisposable
{
    private byte[] _buffer;
    private int _length;

    private RentedBody(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 4096));

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public static async Task<RentedBody> ReadAsync(HttpContent content, CancellationToken ct)
    {
        var body = new RentedBody((int)Math.Min(content.Headers.ContentLength ?? 0, int.MaxValue - 1) + 1);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(ct);
            int read;
            while ((read = await stream.ReadAsync(body._buffer.AsMemory(body._length), ct)) > 0)
            {
                body._length += read;
                if (body._length == body._buffer.Length)
                    body.Grow();
            }
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
