namespace Spokes.AppHost.Kubernetes;

/// <summary>Deployed, the resource serves this range of the node's own ports (host networking), e.g. <c>22000-22999/tcp</c>.</summary>
public sealed record HostPortRangeAnnotation(string Range) : IResourceAnnotation;

/// <summary>Deployed, a volume mounted at <paramref name="Target"/> keeps a service's files across restarts (a StatefulSet).</summary>
public sealed record PersistentFolderAnnotation(string Name, string Target) : IResourceAnnotation;
