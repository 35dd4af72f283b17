using System.Text;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs (directories and files only).
/// </summary>
internal sealed class CpioWriter(Stream output)
{
    private const int DirectoryMode = 0x4000 | 0b111_101_101;
    private int _inode = 1;

    public void Directory(string name) => Entry(name, DirectoryMode, []);

    public void File(string name, byte[] content, bool executable) =>
        Entry(name, 0x8000 | (executable ? 0b111_101_101 : 0b110_100_100), content);

    /// <summary>The trailer that ends the archive.</summary>
    public void Finish() => Entry("TRAILER!!!", 0, []);

    private void Entry(string name, int mode, byte[] content)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new StringBuilder("070701");
        foreach (
            var field in new long[]
            {
                _inode++,
                mode,
                0,
                0,
                mode == DirectoryMode ? 2 : 1,
                0,
                content.Length,
                0,
                0,
                0,
                0,
                nameBytes.Length,
                0,
            }
        )
            header.Append(field.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        var headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        output.Write(headerBytes);
        output.Write(nameBytes);
        Pad(headerBytes.Length + nameBytes.Length);
        output.Write(content);
        Pad(content.Length);
    }

    private void Pad(int length)
    {
        var padding = (4 - length % 4) % 4;
        for (var i = 0; i < padding; i++)
            output.WriteByte(0);
    }
}
