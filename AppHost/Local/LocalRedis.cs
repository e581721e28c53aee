namespace Spokes.AppHost.Local;

/// <summary>redis-server run by Aspire as a program on this machine (local profile), with a password.</summary>
public sealed class LocalRedisResource(string name, string command, string folder, ParameterResource password)
    : ExecutableResource(name, command, folder), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public ParameterResource Password { get; } = password;

    /// <summary>StackExchange.Redis syntax, as Aspire's own Redis resource gives it.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.HostAndPort)},password={Password}");
}

public static class LocalRedis
{
    public const string Program = "redis-server";

    /// <summary>
    /// Its settings, in a file (mode 0600) rather than on the command line so the password stays out of `ps`:
    /// loopback only, data in <paramref name="folder"/> with an append-only file synced every second.
    /// </summary>
    public static string WriteConfiguration(string folder, string password)
    {
        var path = Path.Combine(folder, "redis.conf");
        PrivateFile.Write(path, $"""
            bind 127.0.0.1
            protected-mode yes
            daemonize no
            dir {folder}
            appendonly yes
            appendfsync everysec
            requirepass {password}
            """);
        return path;
    }

    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name,
        string folder, IResourceBuilder<ParameterResource> password, string passwordValue)
    {
        var configuration = WriteConfiguration(folder, passwordValue);
        var redis = new LocalRedisResource(name, ProgramLocator.Require(Program, "redis-server"), folder, password.Resource);
        return builder.AddResource(redis)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add(configuration);
                context.Args.Add("--port");
                context.Args.Add(redis.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .WithProbe(async cancellationToken => await ServerProbes.RedisAsync(
                redis.Endpoint.Port, await password.Resource.GetValueAsync(cancellationToken) ?? "", cancellationToken))
            .WithIconName("Database")
            .ExcludeFromManifest();
    }
}
