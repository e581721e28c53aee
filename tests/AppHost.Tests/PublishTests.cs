using System.Text.Json;
using k8s;
using k8s.Models;
using Spokes.AppHost.Kubernetes;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

public class PublishTests
{
    private static readonly string[] Services =
        ["api", "events", "autumn", "january", "gifbox", "crond", "pushd", "voice-ingress", "tunnel-edge", "gateway"];

    private static async Task<string> PublishAsync(TemporaryFolder folder, params string[] arguments)
    {
        var output = Path.Combine(folder.Path, "out");
        await using var apphost = AppHostProcess.Start([.. arguments, "--output-path", output], folder.Path);
        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, apphost.Output);
        // Publishing describes a deployment; it must not make (or reveal) this machine's secrets.
        Assert.False(Directory.Exists(Path.Combine(folder.Path, ".spokes-data")), "publish created a data folder");
        return output;
    }

    [Fact]
    public async Task Aspires_own_manifest_lists_the_services_as_projects_and_the_servers_as_containers_without_secrets()
    {
        using var folder = new TemporaryFolder();
        var output = await PublishAsync(folder, "--publisher", "manifest");
        var text = File.ReadAllText(Path.Combine(output, "aspire-manifest.json"));
        using var manifest = JsonDocument.Parse(text);
        var resources = manifest.RootElement.GetProperty("resources");

        foreach (var service in Services)
        {
            var project = resources.GetProperty(service);
            Assert.Equal("project.v0", project.GetProperty("type").GetString());
            Assert.True(File.Exists(Path.Combine(output, project.GetProperty("path").GetString()!)), $"{service}: project path does not exist");
            Assert.Equal("http", project.GetProperty("bindings").GetProperty("http").GetProperty("scheme").GetString());
        }
        foreach (var (name, image) in new[] { ("mongo", "mongo"), ("redis", "redis"), ("rabbitmq", "rabbitmq"), ("s3", "minio/minio"), ("livekit", "livekit-server") })
        {
            var container = resources.GetProperty(name);
            Assert.Equal("container.v0", container.GetProperty("type").GetString());
            Assert.Contains(image, container.GetProperty("image").GetString());
            Assert.True(container.TryGetProperty("connectionString", out _), $"{name} has no connection string");
        }
        // The local profile's programs are not part of a deployment.
        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.GetProperty("type").GetString() == "executable.v0");
        Assert.True(resources.GetProperty("gateway").GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());
        Assert.Equal("http2", resources.GetProperty("api").GetProperty("bindings").GetProperty("grpc").GetProperty("transport").GetString());

        // Secrets are inputs the deployment supplies (passwords it may generate); none has a value here.
        foreach (var secret in new[] { "redis-password", "rabbitmq-password", "s3-secret-key", "livekit-api-secret", "vapid-private-key", "master-password" })
        {
            var input = resources.GetProperty(secret).GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean(), $"{secret} is not secret");
            Assert.False(input.TryGetProperty("default", out var given) && given.TryGetProperty("value", out _), $"{secret} has a value in the manifest");
        }

        // Every expression anywhere in the manifest names a resource, and a binding that resource has.
        foreach (var reference in ManifestExpressions.References(text))
        {
            Assert.True(resources.TryGetProperty(reference.Resource, out var target), $"unknown resource in {reference}");
            if (reference.Endpoint is { } endpoint)
                Assert.True(target.GetProperty("bindings").TryGetProperty(endpoint, out _), $"unknown binding in {reference}");
        }
    }

    [Fact]
    public async Task Kubernetes_yaml_has_a_probed_deployment_and_a_service_for_every_service_and_no_secret_values()
    {
        using var folder = new TemporaryFolder();
        // The form the README documented before Aspire took the command line over (`publish` first) still works.
        var output = await PublishAsync(folder, "publish", "--publisher", "kubernetes", "--public-url", "https://chat.example.com", "--registry", "ghcr.io/acme");
        var objects = Directory.GetFiles(output, "*.yaml").Where(f => !f.EndsWith("kustomization.yaml"))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f))).ToList();

        foreach (var service in Services)
        {
            // The tunnel edge keeps its SQLite store in files, the Api its settings: StatefulSets; every other service is a Deployment.
            var (selector, pod) = service is "tunnel-edge" or "api"
                ? objects.OfType<V1StatefulSet>().Where(s => s.Metadata.Name == service).Select(s => (s.Spec.Selector, s.Spec.Template.Spec)).Single()
                : objects.OfType<V1Deployment>().Where(d => d.Metadata.Name == service).Select(d => (d.Spec.Selector, d.Spec.Template.Spec)).Single();
            var container = Assert.Single(pod.Containers);
            Assert.Equal($"ghcr.io/acme/{service}:0.1.0", container.Image);
            Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            var kubeService = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == service);
            Assert.Equal(selector.MatchLabels, kubeService.Spec.Selector);
        }

        // The edge's tokens and tunnels survive a restart; its tunnels' TCP ports are the node's; its admin API is not.
        var edge = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "tunnel-edge");
        var claim = Assert.Single(edge.Spec.VolumeClaimTemplates);
        var edgeContainer = edge.Spec.Template.Spec.Containers[0];
        Assert.Equal("/var/lib/spokes", Assert.Single(edgeContainer.VolumeMounts, m => m.Name == claim.Metadata.Name).MountPath);
        Assert.Equal("/var/lib/spokes", edgeContainer.Env.Single(e => e.Name == "TunnelEdge__DataPath").Value);
        Assert.True(edge.Spec.Template.Spec.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", edge.Spec.Template.Spec.DnsPolicy);
        Assert.Equal("127.0.0.1:7101", edgeContainer.Env.Single(e => e.Name == "TunnelEdge__Listen__Admin").Value);
        Assert.Equal("*:8443", edgeContainer.Env.Single(e => e.Name == "TunnelEdge__Listen__Tunnel").Value);

        foreach (var stateful in new[] { "mongo", "redis", "rabbitmq", "s3" })
        {
            var set = Assert.Single(objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == stateful);
            Assert.NotEmpty(set.Spec.VolumeClaimTemplates);
            Assert.Contains(objects.OfType<V1Service>(), s => s.Metadata.Name == set.Spec.ServiceName && s.Spec.ClusterIP == "None");
        }

        // Each port admits only the workloads whose settings name it; the Gateway's, anyone.
        string[] Admitted(string workload, int port) => objects.OfType<V1NetworkPolicy>()
            .Single(p => p.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] == workload)
            .Spec.Ingress.Where(rule => rule.Ports.Any(p => p.Port.Value == port.ToString()))
            .SelectMany(rule => rule.FromProperty?.Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]) ?? ["anyone"])
            .Order().ToArray();
        Assert.Equal(["gateway"], Admitted("api", 8080));
        // The Api's internal gRPC serves Events, Autumn, Gifbox and Pushd; Autumn's serves the Api (file claims).
        Assert.Equal(["autumn", "events", "gifbox", "pushd"], Admitted("api", 8081));
        Assert.Equal(["api"], Admitted("autumn", 8081));
        Assert.Equal(["gateway"], Admitted("events", 8080));
        Assert.Equal(["anyone"], Admitted("gateway", 8080));
        Assert.Equal(["api", "crond", "events", "gifbox", "january", "pushd", "voice-ingress"], Admitted("redis", 6379));
        Assert.Equal(["api", "autumn", "mongo", "mongo-init-replica-set"], Admitted("mongo", 27017));
        Assert.Equal(["api", "autumn", "crond", "january", "pushd", "voice-ingress"], Admitted("rabbitmq", 5672));
        // Services believe forwarded headers from the cluster's network; the Gateway from nobody, unless told.
        string Variable(V1Container container, string name) => container.Env.Single(e => e.Name == name).Value;
        var apiContainer = objects.OfType<V1StatefulSet>().Single(d => d.Metadata.Name == "api").Spec.Template.Spec.Containers[0];
        var gatewayContainer = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "gateway").Spec.Template.Spec.Containers[0];
        Assert.Equal("10.0.0.0/8", Variable(apiContainer, "ForwardedHeaders__TrustedProxies"));
        Assert.Equal("", Variable(gatewayContainer, "ForwardedHeaders__TrustedProxies"));
        Assert.Matches(@"^\$\(SPOKES_SECRET_INTERNAL_KEY\)$", Variable(apiContainer, "Internal__Key"));

        // Setup works deployed: the settings on the Api's volume, the setup code and a setup file's answers from secrets.
        var api = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "api");
        Assert.Equal(1, api.Spec.Replicas);
        var settingsClaim = Assert.Single(api.Spec.VolumeClaimTemplates);
        Assert.Equal("/var/lib/spokes", Assert.Single(apiContainer.VolumeMounts, m => m.Name == settingsClaim.Metadata.Name).MountPath);
        Assert.Equal("true", Variable(apiContainer, "Setup__Required"));
        Assert.Equal("/var/lib/spokes/settings", Variable(apiContainer, "Setup__DataFolder"));
        Assert.Matches(@"^\$\(SPOKES_SECRET_SETUP_CODE\)$", Variable(apiContainer, "Setup__Code"));
        Assert.Matches(@"^\$\(SPOKES_SECRET_SETUP_ANSWERS\)$", Variable(apiContainer, "Setup__Answers"));
        Assert.Contains(apiContainer.Env, e => e.Name == "Setup__LicenseVerifyingKey");
        var mongo = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "mongo");
        Assert.Equal(3, mongo.Spec.Replicas);
        Assert.Contains("--replSet", mongo.Spec.Template.Spec.Containers[0].Args);
        Assert.Contains(objects.OfType<V1Job>(), j => j.Metadata.Name == "mongo-init-replica-set");

        var ingress = Assert.Single(objects.OfType<V1Ingress>());
        Assert.Equal("chat.example.com", ingress.Spec.Rules[0].Host);
        Assert.Equal("gateway", ingress.Spec.Rules[0].Http.Paths[0].Backend.Service.Name);

        // Credentials come only from the Secret that kustomize builds from the operator's secrets.env.
        var secretKeys = File.ReadAllLines(Path.Combine(output, "secrets.env.example"))
            .Where(l => !l.StartsWith('#') && l.Contains('=')).Select(l => l.Split('=')[0]).ToHashSet();
        var containers = objects.OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers)
            .Concat(objects.OfType<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers));
        foreach (var variable in containers.SelectMany(c => c.Env ?? []))
        {
            if (variable.ValueFrom?.SecretKeyRef is { } reference)
            {
                Assert.Equal("spokes-secrets", reference.Name);
                Assert.Contains(reference.Key, secretKeys);
            }
            else if (variable.Name.Contains("PASS", StringComparison.OrdinalIgnoreCase) || variable.Name.Contains("SECRET", StringComparison.OrdinalIgnoreCase)
                     || (variable.Value ?? "").Contains("password=", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Matches(@"\$\(SPOKES_SECRET_[A-Z0-9_]+\)", variable.Value);
            }
        }
        Assert.Empty(objects.OfType<V1Secret>());
        Assert.Contains("secretGenerator", File.ReadAllText(Path.Combine(output, "kustomization.yaml")));
    }
}
