using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>The store's files are its owner's only, and /ready says when the store cannot be written.</summary>
public sealed class StoreHealthTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task The_database_and_its_wal_and_shm_files_are_0600_and_a_readable_one_is_narrowed_on_start()
    {
        var dataDir = Directory.CreateTempSubdirectory("hearth-modes-").FullName;
        try
        {
            await using (var server = await TestServer.StartAsync(dataDir: dataDir))
            {
                var created = await server
                    .Client(server.AdminKey)
                    .PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["true"] }, HearthJson.Options);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var files = Directory.GetFiles(dataDir, "hearth.db*");
                Assert.Contains(files, f => f.EndsWith("-wal", StringComparison.Ordinal));
                Assert.Contains(files, f => f.EndsWith("-shm", StringComparison.Ordinal));
                Assert.All(files, f => Assert.Equal(OwnerOnly, File.GetUnixFileMode(f)));
                Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(dataDir, "secrets.key")));
            }
            File.SetUnixFileMode(
                Path.Combine(dataDir, "hearth.db"),
                OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead
            );
            await using (var again = await TestServer.StartAsync(dataDir: dataDir))
            {
                Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(dataDir, "hearth.db")));
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Ready_answers_503_DATABASE_ERROR_while_the_disk_is_full_and_200_once_there_is_room()
    {
        var mount = Directory.CreateTempSubdirectory("hearth-full-").FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount);
        try
        {
            await using var server = await TestServer.StartAsync(dataDir: mount);
            var client = server.Client();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("ready")).StatusCode);

            var filler = Path.Combine(mount, "filler");
            await using (var stream = File.Create(filler))
            {
                var block = new byte[64 * 1024];
                try
                {
                    while (true)
                        await stream.WriteAsync(block);
                }
                catch (IOException)
                {
                    // ENOSPC: the disk is full.
                }
            }
            var full = await client.GetAsync("ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
            Assert.Equal("DATABASE_ERROR", await TestServer.CodeOf(full));

            File.Delete(filler);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("ready")).StatusCode);
        }
        finally
        {
            await RunAsync("umount", "-l", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(
            process.ExitCode == 0,
            $"{file} {string.Join(' ', args)}: {error} (these tests need root to mount a tmpfs)"
        );
    }
}
