using System.Text.Json;

namespace Hearth.Agent;

/// <summary>
/// The agent's state directory: one record per running sandbox (<c>sandboxes/ID.json</c>, written whole to a temporary
/// name and renamed into place, so a reader sees the old or the new record, never half of one), and each sandbox's own
/// records beside it (<c>sandboxes/ID/</c>: its output files and exit status). Not fsynced: what must survive is a
/// killed agent, not a crashed host (a host's crash takes its sandboxes too).
/// </summary>
public sealed class SandboxJournal
{
    private const string Suffix = ".json";

    public SandboxJournal(string stateDirectory)
    {
        Root = Path.GetFullPath(stateDirectory);
        Directory = Path.Combine(Root, "sandboxes");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Root { get; }

    public string Directory { get; }

    /// <summary>Where a sandbox's own records (output files, status) go.</summary>
    public string StateDirectoryOf(string sandboxId) => Path.Combine(Directory, sandboxId);

    public void Save(SandboxRecord record)
    {
        var path = PathOf(record.Handle.SandboxId);
        var temporary = path + ".tmp";
        File.WriteAllBytes(
            temporary,
            JsonSerializer.SerializeToUtf8Bytes(record, AgentStateJson.Default.SandboxRecord)
        );
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string sandboxId) => File.Delete(PathOf(sandboxId));

    /// <summary>
    /// Every record left by an earlier agent; unreadable ones are returned as failures with their path.
    /// </summary>
    public (List<SandboxRecord> Records, List<(string Path, string Error)> Unreadable) Load()
    {
        var records = new List<SandboxRecord>();
        var unreadable = new List<(string, string)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Suffix))
        {
            try
            {
                var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentStateJson.Default.SandboxRecord);
                if (record is null)
                    unreadable.Add((path, "empty record"));
                else
                    records.Add(record);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                unreadable.Add((path, e.Message));
            }
        }
        return (records, unreadable);
    }

    private string PathOf(string sandboxId) => Path.Combine(Directory, sandboxId + Suffix);
}
