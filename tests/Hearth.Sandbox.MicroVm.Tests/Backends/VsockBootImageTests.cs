using Hearth.Sandbox.MicroVm.Vsock;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// Hearth's initramfs for vsock guests (Firecracker, Flintlock), built for real: what it holds, and that its socat runs
/// on its own libraries and loader the way the guest init starts it. It is not booted here (no KVM for Firecracker).
/// </summary>
public sealed class VsockBootImageTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task The_vsock_initramfs_carries_busybox_the_inits_and_a_socat_that_runs_from_it_with_vsock()
    {
        var cache = fixture.NewDirectory("hearth-vsock-boot");
        var image = await VsockBootImage.EnsureAsync(cache, "/bin/busybox", "/usr/bin/socat", CancellationToken.None);
        Assert.Equal(
            image,
            await VsockBootImage.EnsureAsync(cache, "/bin/busybox", "/usr/bin/socat", CancellationToken.None)
        );

        var root = fixture.NewDirectory("hearth-vsock-root");
        var output = await Tools.RunAsync(
            "/bin/sh",
            "-c",
            $"cd {root} && /bin/busybox cpio -id < {image} 2>&1; echo rc=$?"
        );
        Assert.EndsWith("rc=0", output.Trim());
        Assert.True(File.Exists(Path.Combine(root, "init")));
        Assert.True(File.Exists(Path.Combine(root, "guest-init")));
        Assert.True(File.Exists(Path.Combine(root, "bin", "busybox")));
        Assert.Equal("", File.ReadAllText(Path.Combine(root, "modules", "order")));
        Assert.Contains("hearth.channel=vsock", File.ReadAllText(Path.Combine(root, "guest-init")));
        var loader = Assert.Single(Directory.GetFiles(Path.Combine(root, "vsock"), "ld-linux*"));

        // As the guest init runs it: the copied loader, the copied libraries only.
        var vsock = Path.Combine(root, "vsock");
        var version = await Tools.RunAsync(
            "/usr/bin/env",
            "-i",
            loader,
            "--library-path",
            vsock,
            Path.Combine(vsock, "socat"),
            "-V"
        );
        Assert.Contains("#define WITH_VSOCK 1", version);

        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            VsockBootImage.EnsureAsync(cache, "/bin/busybox", "/nonexistent/socat", CancellationToken.None)
        );
        Assert.Equal("no socat at /nonexistent/socat (install socat): the guest's vsock relay", missing.Message);
    }
}
