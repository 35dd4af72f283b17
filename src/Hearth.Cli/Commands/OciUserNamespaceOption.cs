using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Sandbox.Oci;
using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>--oci-userns auto|off|BASE:SIZE</c>, shared by the commands that run or unpack OCI images on this host.
/// </summary>
public static class OciUserNamespaceOption
{
    public const string Name = "--oci-userns";

    public static Option<string> Create() =>
        new(Name)
        {
            Description =
                "User namespace for OCI containers: auto (on when running as root and the kernel allows it; range: the 'hearth' "
                + "entry of /etc/subuid and /etc/subgid, else 100000:65536), off, or BASE:SIZE (container ids 0..SIZE-1 are host ids BASE..)",
            DefaultValueFactory = _ => UserNamespaceSelector.Auto,
        };

    /// <exception cref="CliException">Exit 2, naming the flag and what it takes.</exception>
    public static IdMapping? Resolve(string value)
    {
        try
        {
            return UserNamespaceSelector.Select(value);
        }
        catch (FormatException e)
        {
            throw new CliException(
                $"{Name} '{value}': expected auto, off or BASE:SIZE (e.g. 100000:65536): {e.Message}",
                2
            );
        }
    }
}
