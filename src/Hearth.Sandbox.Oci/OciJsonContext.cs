using System.Text.Json.Serialization;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci;

/// <summary>
/// Serialization code generated at build time for the registry's documents (their field names are fixed by the OCI
/// specs through attributes) and the image store's and address allocator's own files. No reflection: Native AOT safe.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageConfigFile))]
[JsonSerializable(typeof(ImageStore.ImageRecord))]
[JsonSerializable(typeof(AddressAllocator.AllocationState))]
[JsonSerializable(typeof(List<NamedNetwork>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
