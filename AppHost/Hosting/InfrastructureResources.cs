using System.Diagnostics;

namespace Spokes.AppHost.Hosting;

/// <summary>
/// The backing servers, each in two shapes: a container (containers profile, and every publish) and a
/// local program or a folder under the data folder (local profile). Both give the same connection string
/// to the services, so a service never knows which profile runs it.
/// </summary>
public static class InfrastructureResources
{
    public static Resource AddRedis(this DistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", secret: true);
        var connectionString = $"{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}},password={{{password.Name}.value}}";
        Func<Resource, CancellationToken, Task<HealthResult>> probe = (self, ct) => Probes.RedisAsync(self.GetEndpoint("tcp").Port, ct);

        if (builder.UsesContainers)
        {
            var container = new ContainerResource(name, "docker.io/library/redis", "7.4")
            {
                ConnectionStringExpression = connectionString,
                Probe = probe,
            };
            container.Endpoints.Add(new Endpoint("tcp", "tcp", 6379));
            container.Volumes.Add(new ContainerVolume("data", "/data"));
            container.WithEnvironment("REDIS_PASSWORD", password);
            // The password stays out of the command line: the shell reads it from the environment.
            container.Arguments.AddRange(["/bin/sh", "-c", "exec redis-server --appendonly yes --requirepass \"$REDIS_PASSWORD\""]);
            return builder.AddResource(container);
        }

        var redis = new ExecutableResource(name, "redis-server", "redis-server")
        {
            ConnectionStringExpression = connectionString,
            Probe = probe,
            // Config file (mode 0600) rather than arguments, so the password is not visible in `ps`.
            Prepare = context => WritePrivateFileAsync(Path.Combine(context.ResourceFolder(name), "redis.conf"), $"""
                bind 127.0.0.1
                port {context.Evaluate($"{{{name}.bindings.tcp.port}}")}
                protected-mode yes
                daemonize no
                dir {context.ResourceFolder(name)}
                appendonly yes
                appendfsync everysec
                requirepass {password.Value}
                """),
        };
        redis.Endpoints.Add(new Endpoint("tcp", "tcp", 6379));
        redis.Arguments.Add(Path.Combine(builder.DataFolder, name, "redis.conf"));
        return builder.AddResource(redis);
    }

    public static Resource AddRabbitMQ(this DistributedApplicationBuilder builder, string name)
    {
        const string user = "spokes";
        var password = builder.AddParameter($"{name}-password", secret: true);
        var connectionString = $"amqp://{user}:{{{password.Name}.value}}@{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}/";
        Func<Resource, CancellationToken, Task<HealthResult>> probe = (self, ct) => Probes.AmqpAsync(self.GetEndpoint("tcp").Port, ct);

        if (builder.UsesContainers)
        {
            var container = new ContainerResource(name, "docker.io/library/rabbitmq", "3.13")
            {
                ConnectionStringExpression = connectionString,
                Hostname = $"spokes-{name}",
                Probe = probe,
            };
            container.Endpoints.Add(new Endpoint("tcp", "tcp", 5672));
            container.Volumes.Add(new ContainerVolume("data", "/var/lib/rabbitmq"));
            container.WithEnvironment("RABBITMQ_DEFAULT_USER", user);
            container.WithEnvironment("RABBITMQ_DEFAULT_PASS", password);
            return builder.AddResource(container);
        }

        var rabbitmq = new LocalRabbitMqResource(name, user, password)
        {
            ConnectionStringExpression = connectionString,
            Probe = probe,
        };
        return builder.AddResource(rabbitmq);
    }

    /// <summary>The chat database: MongoDB (a one-node replica set here, three in Kubernetes) or SQLite files.</summary>
    public static Resource AddMongoDB(this DistributedApplicationBuilder builder, string name, string database = "spokes")
    {
        if (builder.UsesContainers)
        {
            // Run: the driver talks to the one member directly through the published port. Published: the
            // driver discovers the replica set's members.
            var connectionString = builder.IsPublishing
                ? $"mongodb://{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}/{database}?replicaSet=rs0"
                : $"mongodb://{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}/{database}?directConnection=true";
            var container = new ContainerResource(name, "docker.io/library/mongo", "8.0")
            {
                ConnectionStringExpression = connectionString,
                Probe = (self, ct) => Probes.TcpAsync(self.GetEndpoint("tcp").Port, ct),
                AfterHealthy = InitiateReplicaSetAsync,
            };
            container.Endpoints.Add(new Endpoint("tcp", "tcp", 27017));
            container.Volumes.Add(new ContainerVolume("data", "/data/db"));
            container.Arguments.AddRange(["--replSet", "rs0", "--bind_ip_all"]);
            return builder.AddResource(container);
        }

        var folder = Path.Combine(builder.DataFolder, "sqlite");
        return builder.AddResource(new LocalStoreResource(name, "sqlite", folder)
        {
            ConnectionStringExpression = $"Data Source={Path.Combine(folder, database + ".db")}",
        });
    }

    /// <summary>File objects: MinIO (any S3 API) or a folder.</summary>
    public static Resource AddS3(this DistributedApplicationBuilder builder, string name)
    {
        if (builder.UsesContainers)
        {
            const string accessKey = "spokes";
            var secretKey = builder.AddParameter($"{name}-secret-key", secret: true);
            var container = new ContainerResource(name, "docker.io/minio/minio", "RELEASE.2024-12-18T13-15-44Z")
            {
                ConnectionStringExpression =
                    $"Endpoint={{{name}.bindings.http.url}};AccessKey={accessKey};SecretKey={{{secretKey.Name}.value}}",
                Probe = (self, ct) => Probes.HttpAsync($"http://127.0.0.1:{self.GetEndpoint("http").Port}/minio/health/live", ct),
            };
            container.Endpoints.Add(new Endpoint("http", "http", 9000));
            container.Volumes.Add(new ContainerVolume("data", "/data"));
            container.WithEnvironment("MINIO_ROOT_USER", accessKey);
            container.WithEnvironment("MINIO_ROOT_PASSWORD", secretKey);
            container.Arguments.AddRange(["server", "/data"]);
            return builder.AddResource(container);
        }

        var folder = Path.Combine(builder.DataFolder, "files");
        return builder.AddResource(new LocalStoreResource(name, "folder", folder)
        {
            ConnectionStringExpression = $"Folder={folder}",
        });
    }

    /// <summary>
    /// Voice: a LiveKit container (containers profile, publish) or the LiveKit server the operator names
    /// with <c>LiveKit__Url</c>, <c>LiveKit__ApiKey</c> and <c>LiveKit__ApiSecret</c>; otherwise null (voice off).
    /// </summary>
    public static Resource? AddLiveKit(this DistributedApplicationBuilder builder, string name)
    {
        if (builder.UsesContainers)
        {
            const string apiKey = "spokes";
            var apiSecret = builder.AddParameter($"{name}-api-secret", secret: true);
            var container = new ContainerResource(name, "docker.io/livekit/livekit-server", "v1.9")
            {
                ConnectionStringExpression =
                    $"Endpoint={{{name}.bindings.http.url}};ApiKey={apiKey};ApiSecret={{{apiSecret.Name}.value}}",
                Probe = (self, ct) => Probes.HttpAsync($"http://127.0.0.1:{self.GetEndpoint("http").Port}/", ct),
            };
            container.Endpoints.Add(new Endpoint("http", "http", 7880));
            // WebRTC advertises these ports to clients, so the host publishes them unchanged.
            container.Endpoints.Add(new Endpoint("rtc-tcp", "tcp", 7881) { Port = 7881 });
            container.PortRanges.Add("50000-50100:50000-50100/udp");
            var secretExpression = $"{{{apiSecret.Name}.value}}";
            container.WithEnvironment("LIVEKIT_CONFIG",
                "port: 7880\nrtc:\n  tcp_port: 7881\n  port_range_start: 50000\n  port_range_end: 50100\n" +
                $"keys:\n  {apiKey}: {secretExpression}\n");
            return builder.AddResource(container);
        }

        var url = builder.Configuration["LiveKit:Url"];
        var key = builder.Configuration["LiveKit:ApiKey"];
        var secret = builder.Configuration["LiveKit:ApiSecret"];
        if (string.IsNullOrEmpty(url) && string.IsNullOrEmpty(key) && string.IsNullOrEmpty(secret)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https" or "ws" or "wss")
            || string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret))
        {
            throw new ArgumentException(
                "Voice needs all of LiveKit__Url (http(s):// or ws(s)://), LiveKit__ApiKey and LiveKit__ApiSecret.");
        }
        var httpAddress = new UriBuilder(address) { Scheme = address.Scheme is "wss" or "https" ? "https" : "http" }.Uri;
        return builder.AddResource(new ExternalResource(name, "livekit (external)", httpAddress)
        {
            ConnectionStringExpression = $"Endpoint={httpAddress.ToString().TrimEnd('/')};ApiKey={key};ApiSecret={secret}",
        });
    }

    /// <summary>The standalone Aspire dashboard, fed by OTLP from every project (containers profile only).</summary>
    public static Resource? AddTelemetryDashboard(this DistributedApplicationBuilder builder, string name)
    {
        if (builder.IsPublishing || builder.ContainerEngine is null) return null;
        var container = new ContainerResource(name, "mcr.microsoft.com/dotnet/aspire-dashboard", "9.5")
        {
            Probe = (self, ct) => Probes.TcpAsync(self.GetEndpoint("http").Port, ct),
        };
        container.Endpoints.Add(new Endpoint("http", "http", 18888));
        container.Endpoints.Add(new Endpoint("otlp", "http", 18889));
        container.WithEnvironment("DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", "true");
        builder.TelemetryEndpoint = $"{{{name}.bindings.otlp.url}}";
        return builder.AddResource(container);
    }

    private static async Task<HealthResult> InitiateReplicaSetAsync(RunContext context, ContainerResource mongo, CancellationToken cancellationToken)
    {
        // Idempotent: a data folder that already holds the replica set keeps it.
        const string script = "try { rs.status().ok } catch (e) { rs.initiate({_id: 'rs0', members: [{_id: 0, host: '127.0.0.1:27017'}]}).ok }";
        using var process = Process.Start(new ProcessStartInfo(context.ContainerEngine!,
            ["exec", mongo.ContainerName(context), "mongosh", "--quiet", "--eval", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? HealthResult.Pass("replica set rs0")
            : HealthResult.Fail($"replica set not initiated yet: {output.Trim()}");
    }

    internal static async Task WritePrivateFileAsync(string path, string content)
    {
        await using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(content.Replace("\r\n", "\n") + "\n");
    }
}
