using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Hearth.Agent.Dns;

/// <summary>
/// The part of a DNS message (RFC 1035 §4) the embedded DNS reads: the header's id and flags and the one question.
/// Anything else (no question, several, a compressed name in a question, an answer section) is not a query it answers.
/// </summary>
public sealed record DnsQuery(ushort Id, ushort Flags, string Name, ushort Type, ushort Class, int QuestionEnd)
{
    public const ushort TypeA = 1;
    public const ushort ClassIn = 1;
    private const int HeaderLength = 12;

    public bool IsQuery => (Flags & 0x8000) == 0 && Opcode == 0;

    public int Opcode => (Flags >> 11) & 0xF;

    public bool RecursionDesired => (Flags & 0x0100) != 0;

    /// <summary>Null when <paramref name="message"/> is not one standard query with one question.</summary>
    public static DnsQuery? TryParse(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
            return null;
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        if (questions != 1 || answers != 0)
            return null;
        var name = new StringBuilder();
        var offset = HeaderLength;
        while (true)
        {
            if (offset >= message.Length)
                return null;
            int length = message[offset++];
            if (length == 0)
                break;
            // Pointers (0xC0) and the reserved label types have no place in a question.
            if (length > 63 || offset + length > message.Length)
                return null;
            if (name.Length > 0)
                name.Append('.');
            name.Append(Encoding.ASCII.GetString(message.Slice(offset, length)));
            offset += length;
            if (name.Length > 253)
                return null;
        }
        if (offset + 4 > message.Length)
            return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        return new DnsQuery(id, flags, name.ToString(), type, @class, offset + 4);
    }
}

/// <summary>Writes the embedded DNS's answers: the question copied, then A records pointing back at it.</summary>
public static class DnsAnswer
{
    public const byte NoError = 0;
    public const byte FormatError = 1;
    public const byte ServerFailure = 2;
    public const byte NameError = 3;
    public const byte NotImplemented = 4;

    /// <summary>Enough answers fit a 512-byte UDP message with any question (12 + 259 + 16 × 14 = 495).</summary>
    public const int MaxAnswers = 14;

    /// <summary>
    /// An authoritative answer to <paramref name="query"/> (read from <paramref name="request"/>), with the A records
    /// <paramref name="addresses"/> (at most <see cref="MaxAnswers"/>), each with <paramref name="ttlSeconds"/>.
    /// </summary>
    public static byte[] Build(
        ReadOnlySpan<byte> request,
        DnsQuery query,
        byte rcode,
        IReadOnlyList<IPAddress> addresses,
        uint ttlSeconds
    )
    {
        var count = Math.Min(addresses.Count, MaxAnswers);
        var questionLength = query.QuestionEnd - 12;
        var response = new byte[12 + questionLength + count * 16];
        BinaryPrimitives.WriteUInt16BigEndian(response, query.Id);
        // QR, the query's opcode and RD, AA and RA set, the rcode.
        var flags = (ushort)(
            0x8000 | (query.Flags & 0x7800) | 0x0400 | (query.Flags & 0x0100) | 0x0080 | (rcode & 0xF)
        );
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)count);
        request.Slice(12, questionLength).CopyTo(response.AsSpan(12));
        var offset = 12 + questionLength;
        for (var i = 0; i < count; i++)
        {
            var record = response.AsSpan(offset, 16);
            // The name is a pointer to the question's (offset 12).
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C);
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], DnsQuery.TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], DnsQuery.ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], ttlSeconds);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], 4);
            addresses[i].TryWriteBytes(record[12..], out _);
            offset += 16;
        }
        return response;
    }

    /// <summary>
    /// An error answer to a message that could not be read as a query: its id and the rcode, nothing else.
    /// </summary>
    public static byte[] Error(ReadOnlySpan<byte> request, byte rcode)
    {
        var response = new byte[12];
        if (request.Length >= 2)
            request[..2].CopyTo(response);
        var opcode = request.Length >= 3 ? request[2] & 0x78 : 0;
        response[2] = (byte)(0x80 | opcode);
        response[3] = (byte)(0x80 | (rcode & 0xF));
        return response;
    }
}
