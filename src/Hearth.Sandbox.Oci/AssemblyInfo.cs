using System.Runtime.Versioning;

// Everything here drives Linux kernel features (namespaces, cgroups, overlayfs) and Linux OCI runtimes.
[assembly: SupportedOSPlatform("linux")]
