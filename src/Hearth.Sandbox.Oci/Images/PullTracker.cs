using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>Turns per-layer byte counts into <see cref="PullProgress"/> events with running totals.</summary>
internal sealed class PullTracker(IReadOnlyList<Descriptor> layers, IProgress<PullProgress>? sink)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly long _totalSize = layers.DistinctBy(l => l.Digest).Sum(l => l.Size);
    private readonly int _layerCount = layers.DistinctBy(l => l.Digest).Count();

    public void Resolved() => Emit(PullPhase.Resolved, null);

    public void AlreadyExists(Descriptor layer) => Finish(layer, PullPhase.AlreadyExists);

    public void Waiting(Descriptor layer) => Emit(PullPhase.Waiting, layer);

    public void Downloaded(Descriptor layer) => Finish(layer, PullPhase.Downloaded);

    public void Extracting(Descriptor layer) => Emit(PullPhase.Extracting, layer);

    public void Complete() => Emit(PullPhase.Complete, null);

    public void Downloading(Descriptor layer, long bytes)
    {
        lock (_gate)
            _bytes[layer.Digest] = bytes;
        Emit(PullPhase.Downloading, layer);
    }

    /// <summary>Marks every layer present (the image was already here, or another pull fetched it).</summary>
    public void CompleteAll()
    {
        foreach (var layer in layers.DistinctBy(l => l.Digest))
        {
            bool known;
            lock (_gate)
                known = _done.Contains(layer.Digest);
            if (!known)
                Finish(layer, PullPhase.AlreadyExists);
        }
    }

    private void Finish(Descriptor layer, PullPhase phase)
    {
        lock (_gate)
        {
            _bytes[layer.Digest] = layer.Size;
            _done.Add(layer.Digest);
        }
        Emit(phase, layer);
    }

    private void Emit(PullPhase phase, Descriptor? layer)
    {
        if (sink is null)
            return;
        PullProgress report;
        lock (_gate)
        {
            report = new PullProgress(
                phase,
                layer?.Digest,
                layer is null ? 0 : _bytes.GetValueOrDefault(layer.Digest),
                layer?.Size ?? 0,
                _bytes.Values.Sum(),
                _totalSize,
                _done.Count,
                _layerCount
            );
        }
        sink.Report(report);
    }
}
