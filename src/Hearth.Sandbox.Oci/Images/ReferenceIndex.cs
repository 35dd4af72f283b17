using System.Text.Json;
using Hearth.Sandbox.Oci.References;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// refs.json: which manifest each reference names. Every change is made under an exclusive lock file
/// (so a CLI and an agent sharing the store do not lose each other's tags) and written by atomic rename.
/// </summary>
internal sealed class ReferenceIndex(StoreLayout layout, TimeProvider time)
{
    public async Task<IReadOnlyDictionary<string, Digest>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var held = await LockAsync(cancellationToken);
        return Load();
    }

    public async Task<T> UpdateAsync<T>(Func<Dictionary<string, Digest>, T> change, CancellationToken cancellationToken)
    {
        await using var held = await LockAsync(cancellationToken);
        var refs = Load();
        var result = change(refs);
        var temporary = layout.Refs + ".tmp";
        await File.WriteAllTextAsync(
            temporary,
            JsonSerializer.Serialize(
                refs.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value.ToString()),
                OciJsonContext.Default.DictionaryStringString
            ),
            cancellationToken
        );
        File.Move(temporary, layout.Refs, overwrite: true);
        return result;
    }

    private Dictionary<string, Digest> Load()
    {
        if (!File.Exists(layout.Refs))
            return new Dictionary<string, Digest>(StringComparer.Ordinal);
        var raw = JsonSerializer.Deserialize(
            File.ReadAllText(layout.Refs),
            OciJsonContext.Default.DictionaryStringString
        ) ?? [];
        return raw.Where(r => Digest.TryParse(r.Value, out _))
            .ToDictionary(r => r.Key, r => Digest.Parse(r.Value), StringComparer.Ordinal);
    }

    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(layout.RefsLock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken);
            }
        }
    }
}
