namespace Spokes.AppHost.Hosting;

public static class ResourceExtensions
{
    /// <summary>
    /// Gives <paramref name="resource"/> what Aspire's WithReference gives: the connection string of
    /// <paramref name="target"/> as <c>ConnectionStrings__NAME</c>, its HTTP endpoints as
    /// <c>services__NAME__ENDPOINT__0</c> (service discovery), and a start after it is healthy.
    /// An absent optional resource (voice without LiveKit) adds nothing.
    /// </summary>
    public static T WithReference<T>(this T resource, Resource? target) where T : Resource
    {
        if (target?.ConnectionStringExpression is not null)
        {
            resource.WithEnvironment($"ConnectionStrings__{target.Name}", $"{{{target.Name}.connectionString}}");
        }
        return resource.WithHttpReference(target);
    }

    /// <summary>Only the HTTP endpoints of <paramref name="target"/> (a proxy needs addresses, not credentials).</summary>
    public static T WithHttpReference<T>(this T resource, Resource? target) where T : Resource
    {
        if (target is null) return resource;
        foreach (var endpoint in target.Endpoints.Where(e => e.Scheme is "http" or "https"))
        {
            resource.WithEnvironment($"services__{target.Name}__{endpoint.Name}__0", $"{{{target.Name}.bindings.{endpoint.Name}.url}}");
        }
        return resource.WaitFor(target);
    }

    public static T WaitFor<T>(this T resource, Resource target) where T : Resource
    {
        if (target.IsRunnable && !resource.Dependencies.Contains(target)) resource.Dependencies.Add(target);
        return resource;
    }

    /// <summary>Sets an environment variable; the value is a manifest expression or plain text.</summary>
    public static T WithEnvironment<T>(this T resource, string name, string value) where T : Resource
    {
        resource.Environment.RemoveAll(e => e.Key == name);
        resource.Environment.Add(new(name, value));
        return resource;
    }

    public static T WithEnvironment<T>(this T resource, string name, ParameterResource parameter) where T : Resource =>
        resource.WithEnvironment(name, $"{{{parameter.Name}.value}}");

    /// <summary>
    /// A second endpoint for gRPC, named <c>grpc</c>: cleartext HTTP/2 needs a port of its own, as Kestrel speaks
    /// it only with prior knowledge. Callers find it as <c>services__NAME__grpc__0</c>.
    /// </summary>
    public static ProjectResource WithGrpcEndpoint(this ProjectResource project)
    {
        project.Endpoints.Add(new Endpoint("grpc", "http", targetPort: 8081, transport: "http2"));
        return project;
    }

    /// <summary>
    /// A port the service listens on by itself (not through ASPNETCORE_URLS): the tunnel edge's public, tunnel
    /// and admin listeners, which it is told about in its own settings.
    /// </summary>
    public static ProjectResource WithTcpEndpoint(this ProjectResource project, string name, int targetPort)
    {
        project.Endpoints.Add(new Endpoint(name, "tcp", targetPort));
        return project;
    }

    /// <summary>Deployed, a volume mounted at <paramref name="target"/> keeps the service's files across restarts.</summary>
    public static ProjectResource WithVolume(this ProjectResource project, string name, string target)
    {
        project.Volumes.Add(new ContainerVolume(name, target));
        return project;
    }

    /// <summary>Deployed, the service listens on a range of the node's own ports (host networking), e.g. <c>22000-22999/tcp</c>.</summary>
    public static ProjectResource WithHostPortRange(this ProjectResource project, string range)
    {
        project.PortRanges.Add(range);
        return project;
    }

    /// <summary>The endpoint users reach (the Gateway), on a fixed port rather than a free one.</summary>
    public static ProjectResource WithExternalHttpEndpoint(this ProjectResource project, int port)
    {
        project.Endpoints.RemoveAll(e => e.Name == "http");
        project.Endpoints.Add(new Endpoint("http", "http", targetPort: 8080, external: true) { Port = port });
        return project;
    }
}
