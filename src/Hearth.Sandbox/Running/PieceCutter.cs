using System.Text;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Cuts one byte stream into <see cref="OutputPiece"/>s, fed as the bytes come: at newlines, at the line limit
/// (a UTF-8 sequence cut there is carried into the next piece rather than broken), and on request for a line that has
/// waited too long (<see cref="FlushPending"/>). Invalid UTF-8 becomes U+FFFD; a "\r" right before "\n" is dropped.
/// Each piece carries the stream offset just after it.
/// </summary>
internal sealed class PieceCutter
{
    private readonly OutputStream _stream;
    private readonly int _maxLineBytes;
    private readonly byte[] _pending;
    private readonly char[] _chars;
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();
    private int _count;
    private long _offset;

    public PieceCutter(OutputStream stream, int maxLineBytes, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 4);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _pending = new byte[maxLineBytes];
        _chars = new char[maxLineBytes + 8];
        _offset = startOffset;
    }

    /// <summary>Bytes of an unfinished line are waiting.</summary>
    public bool HasPending => _count > 0;

    /// <summary>The stream offset after everything fed so far.</summary>
    public long Offset => _offset + _count;

    public void Feed(ReadOnlySpan<byte> data, List<OutputPiece> into)
    {
        while (data.Length > 0)
        {
            var newline = data.IndexOf((byte)'\n');
            var text = newline >= 0 ? data[..newline] : data;
            while (text.Length > 0)
            {
                var room = _maxLineBytes - _count;
                if (room == 0)
                {
                    Emit(PieceEnd.Split, 0, into);
                    continue;
                }
                var take = Math.Min(room, text.Length);
                text[..take].CopyTo(_pending.AsSpan(_count));
                _count += take;
                text = text[take..];
            }
            if (newline < 0)
                return;
            Emit(PieceEnd.Newline, 1, into);
            data = data[(newline + 1)..];
        }
    }

    /// <summary>Delivers an unfinished line now (the stream is quiet, or the line has waited long enough).</summary>
    public void FlushPending(List<OutputPiece> into)
    {
        if (_count > 0)
            Emit(PieceEnd.Idle, 0, into);
    }

    /// <summary>The stream has ended: what is left is the last piece.</summary>
    public void End(List<OutputPiece> into)
    {
        if (_count > 0)
            Emit(PieceEnd.End, 0, into);
    }

    private void Emit(PieceEnd end, int terminator, List<OutputPiece> into)
    {
        var length = end == PieceEnd.Newline && _count > 0 && _pending[_count - 1] == (byte)'\r' ? _count - 1 : _count;
        var flush = end is PieceEnd.Newline or PieceEnd.End;
        var written = _decoder.GetChars(_pending, 0, length, _chars, 0, flush);
        _offset += _count + terminator;
        _count = 0;
        into.Add(new OutputPiece(_stream, new string(_chars, 0, written), end, _offset));
    }
}
