using Grpc.Core;
using Hearth.Sandbox.MicroVm.Vsock;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Flintlock;

/// <summary>
/// A VM that flintlockd runs (no local process): gone when flintlockd no longer has it or says it failed or is being
/// deleted; the power is <c>DeleteMicroVM</c>. flintlockd out of reach is not an end: the VM may still run.
/// </summary>
internal sealed class FlintlockVm(FlintlockClient client, string uid, TimeSpan pollInterval) : IVmInstance
{
    private string _last = "";

    public string Uid => uid;

    public int Pid => 0;

    public TimeSpan PollInterval => pollInterval;

    public async Task<bool> GoneAsync(CancellationToken cancellationToken)
    {
        try
        {
            var vm = await client.GetAsync(uid, cancellationToken);
            if (vm is null)
            {
                _last = "flintlockd no longer has the VM";
                return true;
            }
            _last = $"flintlockd says {vm.Status?.State} (retry {vm.Status?.Retry})";
            return vm.Status?.State
                is FlintlockTypes.MicroVMStatus.Types.MicroVMState.Failed
                    or FlintlockTypes.MicroVMStatus.Types.MicroVMState.Deleting;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return false;
        }
    }

    public Task<TimeSpan> RequestShutdownAsync(CancellationToken cancellationToken) => Task.FromResult(TimeSpan.Zero);

    public async Task PowerOffAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteAsync(uid, cancellationToken);
        }
        catch (RpcException e)
        {
            throw new IOException(client.Describe($"DeleteMicroVM {uid}", e), e);
        }
    }

    public Task RemoveAsync(CancellationToken cancellationToken) => PowerOffAsync(cancellationToken);

    public string FailureTail() => _last;
}
