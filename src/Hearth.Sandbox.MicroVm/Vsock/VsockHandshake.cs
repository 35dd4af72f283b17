using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// The host's side of Firecracker's vsock multiplexer for a host-initiated connection: on the device's Unix socket
/// (<c>uds_path</c>) the host writes <c>CONNECT PORT\n</c>; Firecracker answers <c>OK HOSTPORT\n</c> once a guest
/// process listening on PORT has accepted, or closes the connection when none listens (yet).
/// </summary>
internal static class VsockHandshake
{
    private const int MaxReply = 64;

    /// <summary>
    /// Asks for <paramref name="port"/> on <paramref name="socket"/>; a refusal is a <see cref="SocketException"/>.
    /// </summary>
    public static async Task ConnectAsync(Socket socket, uint port, CancellationToken cancellationToken)
    {
        await socket.SendAsync(
            Encoding.ASCII.GetBytes("CONNECT " + port.ToString(CultureInfo.InvariantCulture) + "\n"),
            SocketFlags.None,
            cancellationToken
        );
        // Byte by byte: what follows the reply's newline is the guest's, not the handshake's.
        var reply = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            var read = await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken);
            if (read == 0)
                throw new SocketException((int)SocketError.ConnectionRefused);
            if (one[0] == (byte)'\n')
                break;
            reply.Append((char)one[0]);
            if (reply.Length > MaxReply)
                throw new SocketException((int)SocketError.ProtocolNotSupported);
        }
        var text = reply.ToString();
        if (
            !text.StartsWith("OK ", StringComparison.Ordinal)
            || !uint.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _)
        )
            throw new SocketException((int)SocketError.ProtocolNotSupported);
    }
}
