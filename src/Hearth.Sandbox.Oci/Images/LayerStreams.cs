using System.IO.Compression;
using System.Security.Cryptography;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Images;

internal static class LayerStreams
{
    /// <summary>The uncompressed tar stream of a layer blob.</summary>
    public static Stream Decompress(Stream blob, LayerCompression compression) =>
        compression switch
        {
            LayerCompression.None => blob,
            LayerCompression.Gzip => new GZipStream(blob, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(blob),
            _ => throw new ArgumentOutOfRangeException(nameof(compression)),
        };
}

/// <summary>Passes reads through while hashing them (for a layer's diff_id: sha256 of the uncompressed tar).</summary>
internal sealed class HashingReadStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public byte[] Finish() => _hash.GetHashAndReset();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        _hash.AppendData(buffer[..read]);
        BytesRead += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        _hash.AppendData(buffer.Span[..read]);
        BytesRead += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
