using Grpc.Core;
using Grpc.Net.Client;
using FlintlockApi = Microvm.Services.Api.V1Alpha1;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Flintlock;

/// <summary>flintlockd's <c>microvm.services.api.v1alpha1.MicroVM</c> service, each call under a deadline.</summary>
internal sealed class FlintlockClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly FlintlockApi.MicroVM.MicroVMClient _client;
    private readonly TimeSpan _timeout;

    public FlintlockClient(string endpoint, TimeSpan timeout)
    {
        Endpoint = endpoint;
        _timeout = timeout;
        _channel = GrpcChannel.ForAddress(endpoint);
        _client = new FlintlockApi.MicroVM.MicroVMClient(_channel);
    }

    public string Endpoint { get; }

    public async Task<FlintlockTypes.MicroVM> CreateAsync(
        FlintlockTypes.MicroVMSpec spec,
        CancellationToken cancellationToken
    ) =>
        (
            await _client.CreateMicroVMAsync(
                new FlintlockApi.CreateMicroVMRequest { Microvm = spec },
                Options(cancellationToken)
            )
        ).Microvm;

    /// <summary>The VM, or null when flintlockd has no VM of that uid.</summary>
    public async Task<FlintlockTypes.MicroVM?> GetAsync(string uid, CancellationToken cancellationToken)
    {
        try
        {
            return (
                await _client.GetMicroVMAsync(
                    new FlintlockApi.GetMicroVMRequest { Uid = uid },
                    Options(cancellationToken)
                )
            ).Microvm;
        }
        catch (RpcException e) when (IsNotFound(e))
        {
            return null;
        }
    }

    /// <summary>Deletes the VM; one flintlockd no longer has (NotFound) is deleted already.</summary>
    public async Task DeleteAsync(string uid, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteMicroVMAsync(
                new FlintlockApi.DeleteMicroVMRequest { Uid = uid },
                Options(cancellationToken)
            );
        }
        catch (RpcException e) when (IsNotFound(e)) { }
    }

    public async Task<IReadOnlyList<FlintlockTypes.MicroVM>> ListAsync(
        string @namespace,
        CancellationToken cancellationToken
    ) =>
        (
            await _client.ListMicroVMsAsync(
                new FlintlockApi.ListMicroVMsRequest { Namespace = @namespace },
                Options(cancellationToken)
            )
        ).Microvm;

    /// <summary>
    /// flintlockd answers an unknown uid with a plain error, which gRPC-Go sends as Unknown: "getting microvm: microvm
    /// spec UID not found" (core/application/errors.go, specNotFoundError); NotFound is taken too.
    /// </summary>
    internal static bool IsNotFound(RpcException e) =>
        e.StatusCode == StatusCode.NotFound
        || (
            e.StatusCode == StatusCode.Unknown
            && e.Status.Detail.Contains("microvm spec ", StringComparison.Ordinal)
            && e.Status.Detail.EndsWith(" not found", StringComparison.Ordinal)
        );

    private CallOptions Options(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken);

    /// <summary>An RPC failure in words: the call, flintlockd's address, the status and its detail.</summary>
    public string Describe(string call, RpcException e) =>
        $"flintlockd at {Endpoint}: {call} failed ({e.StatusCode}): {e.Status.Detail}";

    public void Dispose() => _channel.Dispose();
}
