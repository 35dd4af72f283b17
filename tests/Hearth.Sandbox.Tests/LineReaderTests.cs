using System.Text;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

public sealed class LineReaderTests
{
    private static async Task<List<string>> ReadAsync(byte[] bytes, int max = 16)
    {
        var lines = new List<string>();
        // A stream that returns one byte per read exercises every buffer boundary.
        await new LineReader(new TrickleStream(bytes), max).ReadAllAsync(
            (line, _) =>
            {
                lines.Add(line);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None
        );
        var whole = new List<string>();
        await new LineReader(new MemoryStream(bytes), max).ReadAllAsync(
            (line, _) =>
            {
                whole.Add(line);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None
        );
        Assert.Equal(whole, lines);
        return lines;
    }

    [Fact]
    public async Task Pieces_of_a_long_line_say_that_the_next_piece_continues_it()
    {
        var pieces = new List<(string, bool)>();
        await new LineReader(
            new TrickleStream("0123456789abcdefXYZ\nshort\n0123456789abcdef\n"u8.ToArray()),
            8
        ).ReadAllAsync(
            (piece, continues, _) =>
            {
                pieces.Add((piece, continues));
                return ValueTask.CompletedTask;
            },
            CancellationToken.None
        );
        Assert.Equal(
            [
                ("01234567", true),
                ("89abcdef", true),
                ("XYZ", false),
                ("short", false),
                ("01234567", true),
                ("89abcdef", false),
            ],
            pieces
        );
    }

    [Fact]
    public async Task Splits_on_newlines_and_drops_CR_before_LF()
    {
        Assert.Equal(["a", "", "b", "c\rd", "tail"], await ReadAsync("a\n\nb\r\nc\rd\ntail"u8.ToArray()));
        Assert.Empty(await ReadAsync([]));
        Assert.Equal(["x"], await ReadAsync("x\n"u8.ToArray()));
    }

    [Fact]
    public async Task Long_lines_are_split_at_the_cap_and_a_line_of_exactly_the_cap_is_one_line()
    {
        Assert.Equal(["0123456789abcdef", "0123"], await ReadAsync("0123456789abcdef0123\n"u8.ToArray()));
        Assert.Equal(["0123456789abcdef", "next"], await ReadAsync("0123456789abcdef\nnext\n"u8.ToArray()));
        Assert.Equal(
            ["0123456789abcdef", "0123456789abcdef", "0"],
            await ReadAsync(Encoding.ASCII.GetBytes(new string('x', 0) + "0123456789abcdef0123456789abcdef0"))
        );
    }

    [Fact]
    public async Task A_split_never_cuts_a_UTF8_character()
    {
        // 15 ASCII bytes then a 3-byte euro sign straddling the 16-byte cap.
        var lines = await ReadAsync(Encoding.UTF8.GetBytes("abcdefghijklmno€z\n"));
        Assert.Equal(["abcdefghijklmno", "€z"], lines);
    }

    [Fact]
    public async Task Invalid_UTF8_is_replaced_not_fatal()
    {
        var lines = await ReadAsync([(byte)'a', 0xff, (byte)'b', (byte)'\n', 0xc3, (byte)'\n', (byte)'o', (byte)'k']);
        Assert.Equal(["a\uFFFDb", "\uFFFD", "ok"], lines);
    }

    [Fact]
    public async Task The_default_cap_is_64_KiB()
    {
        var lines = new List<string>();
        var bytes = Encoding.ASCII.GetBytes(new string('y', 200_000) + "\nend\n");
        await new LineReader(new MemoryStream(bytes), LineReader.DefaultMaxLineBytes).ReadAllAsync(
            (line, _) =>
            {
                lines.Add(line);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None
        );
        Assert.Equal([65536, 65536, 65536, 3392, 3], lines.Select(l => l.Length));
    }

    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
