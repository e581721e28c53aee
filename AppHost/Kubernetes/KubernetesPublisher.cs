using Aspire.Hosting.Pipelines;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spokes.AppHost.Suite;

namespace Spokes.AppHost.Kubernetes;

/// <summary>
/// Writes Kubernetes YAML for the cluster profile from Aspire's application model: a Deployment and a Service per
/// service (probes on <c>/health</c> and <c>/alive</c>; a StatefulSet where a service keeps files, host networking
/// where it serves a port range), a StatefulSet with volumes per stateful server (MongoDB as a three-member replica
/// set), an Ingress for the Gateway, and a kustomization whose secretGenerator builds the <c>spokes-secrets</c>
/// Secret from the operator's own <c>secrets.env</c>: no secret value is written. A pipeline step, run as
/// <c>--publisher kubernetes --output-path DIR</c> or <c>aspire do publish-kubernetes</c>.
/// </summary>
public static class KubernetesPublisher
{
    public const string StepName = "publish-kubernetes";
    public const string SecretName = "spokes-secrets";
    private const string PartOf = "spokes";
    private const int MongoReplicas = 3;

    /// <summary>Runs after Aspire's own manifest step, whose manifest (in the same folder) it reads.</summary>
    public static readonly string[] DependsOn = ["publish-manifest"];

    public static Task WriteAsync(PipelineStepContext context, SpokesOptions options)
    {
        var folder = context.Services.GetRequiredService<IOptions<PipelineOptions>>().Value.OutputPath
            ?? throw new SetupException("--publisher kubernetes needs --output-path DIR.", 2);
        folder = Path.GetFullPath(folder);
        var version = typeof(KubernetesPublisher).Assembly.GetName().Version!.ToString(3);
        var model = DeploymentModel.Read(Path.Combine(folder, "aspire-manifest.json"), context.Model, options.ImageRegistry, version);
        var written = Write(model, options, folder);
        context.Logger.LogInformation("Wrote {Files}", string.Join(", ", written));
        return Task.CompletedTask;
    }

    public static IReadOnlyList<string> Write(DeploymentModel model, SpokesOptions options, string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        foreach (var workload in model.Workloads)
        {
            var objects = (workload.IsProject ? Project(workload, model, options) : Container(workload, model)).ToList();
            // A pod on the node's network is not held by a NetworkPolicy.
            if (workload.HostPortRanges.Count == 0) objects.Add(OnlyItsCallers(workload, model));
            var file = workload.Name + ".yaml";
            File.WriteAllText(Path.Combine(folder, file), KubernetesYaml.SerializeAll(objects));
            files.Add(file);
        }

        var secrets = model.Settings.Where(s => s.FromSecret).ToList();
        File.WriteAllText(Path.Combine(folder, "kustomization.yaml"), $"""
            # kubectl apply -k . — first copy secrets.env.example to secrets.env and fill in every value.
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
            {string.Join("\n", files.Select(f => "  - " + f))}
            secretGenerator:
              - name: {SecretName}
                envs:
                  - secrets.env
            generatorOptions:
              disableNameSuffixHash: true

            """);
        File.WriteAllText(Path.Combine(folder, "secrets.env.example"),
            "# Values for the spokes-secrets Secret. Copy to secrets.env (keep it out of version control).\n" +
            "# Passwords: `openssl rand -base64 32 | tr '+/' '-_' | tr -d =`; VAPID keys: `npx web-push generate-vapid-keys`.\n" +
            string.Concat(secrets.Select(p => model.UrlSafeSettings.Contains(p.Name)
                ? $"# {p.Name} goes into a URL as it is: use only A-Z a-z 0-9 - _ . ~\n{p.Name}=\n"
                : $"{p.Name}=\n")));
        return [.. files.Select(f => Path.Combine(folder, f)), Path.Combine(folder, "kustomization.yaml"), Path.Combine(folder, "secrets.env.example")];
    }

    private static IReadOnlyList<object> Project(Workload project, DeploymentModel model, SpokesOptions options)
    {
        var http = project.Binding("http");
        var container = new V1Container
        {
            Name = project.Name,
            Image = project.Image,
            Ports = project.Bindings.Select(b => new V1ContainerPort { ContainerPort = b.TargetPort, Name = b.Name }).ToList(),
            Env = Environment(project, model),
            VolumeMounts = project.Volumes.Select(v => new V1VolumeMount { MountPath = v.Target, Name = v.Name }).ToList(),
            ReadinessProbe = HttpProbe("/health", http.TargetPort),
            LivenessProbe = HttpProbe("/alive", http.TargetPort),
            StartupProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/alive", Port = http.TargetPort },
                PeriodSeconds = 2,
                FailureThreshold = 60,
            },
        };
        // A port range of its own (the tunnel edge's TCP ports) is served on the node's network, like LiveKit's media.
        var pod = project.HostPortRanges.Count > 0
            ? new V1PodSpec { Containers = [container], HostNetwork = true, DnsPolicy = "ClusterFirstWithHostNet" }
            : new V1PodSpec { Containers = [container] };
        var objects = new List<object>();
        if (project.Volumes.Count > 0)
        {
            objects.AddRange(StatefulSet(project.Name, pod, project.Volumes, replicas: 1, storage: "1Gi", project.Bindings));
        }
        else
        {
            objects.Add(Deployment(project.Name, pod));
            objects.Add(Service(project.Name, project.Bindings));
        }
        if (http.External) objects.Add(Ingress(project.Name, http.TargetPort, options.EffectivePublicUrl));
        return objects;
    }

    private static IReadOnlyList<object> Container(Workload resource, DeploymentModel model)
    {
        var container = new V1Container
        {
            Name = resource.Name,
            Image = resource.Image,
            Args = resource.Arguments.Count > 0 ? resource.Arguments.Select(a => model.Resolve(a, [])).ToList() : null,
            Ports = resource.Bindings.Select(b => new V1ContainerPort { ContainerPort = b.TargetPort, Name = b.Name, Protocol = b.Protocol }).ToList(),
            Env = Environment(resource, model),
            VolumeMounts = resource.Volumes.Select(v => new V1VolumeMount { MountPath = v.Target, Name = v.Name }).ToList(),
        };
        if (resource.Bindings.FirstOrDefault(b => b.Protocol == "TCP") is { } primary)
        {
            container.ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = primary.TargetPort }, PeriodSeconds = 5 };
            container.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = primary.TargetPort }, PeriodSeconds = 20, FailureThreshold = 6 };
        }

        if (resource.Volumes.Count == 0)
        {
            // Stateless servers (LiveKit): WebRTC media needs the node's own ports, hence host networking.
            return
            [
                Deployment(resource.Name, new V1PodSpec { Containers = [container], HostNetwork = resource.HostPortRanges.Count > 0 }),
                Service(resource.Name, resource.Bindings),
            ];
        }

        var objects = StatefulSet(resource.Name, new V1PodSpec { Containers = [container] }, resource.Volumes,
            replicas: resource.IsMongoReplicaSet ? MongoReplicas : 1, storage: resource.IsMongoReplicaSet ? "20Gi" : "5Gi", resource.Bindings);
        if (resource.IsMongoReplicaSet) objects.Add(MongoReplicaSetJob(resource, Headless(resource.Name)));
        return objects;
    }

    private static V1Deployment Deployment(string name, V1PodSpec pod) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Metadata(name),
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = Selector(name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name) },
                Spec = pod,
            },
        },
    };

    /// <summary>
    /// A StatefulSet whose pods each claim <paramref name="volumes"/>, its Service, and the headless Service that
    /// gives its pods stable names.
    /// </summary>
    private static List<object> StatefulSet(string name, V1PodSpec pod, IEnumerable<PersistentFolderAnnotation> volumes, int replicas, string storage,
        IReadOnlyList<Binding> bindings)
    {
        var headless = Headless(name);
        return
        [
            new V1StatefulSet
            {
                ApiVersion = "apps/v1",
                Kind = "StatefulSet",
                Metadata = Metadata(name),
                Spec = new V1StatefulSetSpec
                {
                    ServiceName = headless,
                    Replicas = replicas,
                    Selector = new V1LabelSelector { MatchLabels = Selector(name) },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = Labels(name) },
                        Spec = pod,
                    },
                    VolumeClaimTemplates = volumes.Select(v => new V1PersistentVolumeClaim
                    {
                        Metadata = new V1ObjectMeta { Name = v.Name, Labels = Labels(name) },
                        Spec = new V1PersistentVolumeClaimSpec
                        {
                            AccessModes = ["ReadWriteOnce"],
                            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage) } },
                        },
                    }).ToList(),
                },
            },
            Service(name, bindings),
            Service(headless, bindings, selectorName: name, headless: true),
        ];
    }

    private static string Headless(string name) => name + "-headless";

    /// <summary>
    /// Each port of a workload admits only the workloads whose settings name it (the Gateway for a service's HTTP, the
    /// Events service for the Api's gRPC, the Api for MongoDB …), a public port anyone, and a replica set its own
    /// members and their initiation job: reaching a pod's address is not enough to use it. The kubelet's probes come
    /// from the node, which NetworkPolicy implementations let through.
    /// </summary>
    private static V1NetworkPolicy OnlyItsCallers(Workload workload, DeploymentModel model)
    {
        var callers = model.Workloads.Where(w => w.Name != workload.Name)
            .SelectMany(w => model.Reaches(w).Where(r => r.Workload == workload.Name).Select(r => (Caller: w.Name, r.Binding)))
            .ToList();
        var rules = new List<V1NetworkPolicyIngressRule>();
        foreach (var binding in workload.Bindings)
        {
            var port = new V1NetworkPolicyPort { Port = binding.TargetPort, Protocol = binding.Protocol };
            if (binding.External)
            {
                rules.Add(new V1NetworkPolicyIngressRule { Ports = [port] });
                continue;
            }
            var peers = callers.Where(c => c.Binding == binding.Name).Select(c => c.Caller).Distinct()
                .Concat(workload.IsMongoReplicaSet ? [workload.Name, workload.Name + "-init-replica-set"] : [])
                .Select(name => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Selector(name) } })
                .ToList();
            if (peers.Count > 0) rules.Add(new V1NetworkPolicyIngressRule { Ports = [port], FromProperty = peers });
        }
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = Metadata(workload.Name + "-callers-only"),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = Selector(workload.Name) },
                PolicyTypes = ["Ingress"],
                Ingress = rules,
            },
        };
    }

    /// <summary>Initiates the replica set once every member answers; a no-op when it already exists.</summary>
    private static V1Job MongoReplicaSetJob(Workload mongo, string headless)
    {
        var port = mongo.Binding("tcp").TargetPort;
        var members = string.Join(", ", Enumerable.Range(0, MongoReplicas)
            .Select(i => $"{{_id: {i}, host: '{mongo.Name}-{i}.{headless}:{port}'}}"));
        var script = $"try {{ rs.status().ok }} catch (e) {{ rs.initiate({{_id: 'rs0', members: [{members}]}}).ok }}";
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(mongo.Name + "-init-replica-set"),
            Spec = new V1JobSpec
            {
                BackoffLimit = 30,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(mongo.Name + "-init-replica-set") },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "OnFailure",
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "initiate",
                                Image = mongo.Image,
                                Command = ["mongosh", "--quiet", "--host", $"{mongo.Name}-0.{headless}:{port}", "--eval", script],
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>
    /// Environment with every expression resolved to in-cluster names. Secrets come first as variables read
    /// from the Secret, and later values refer to them as <c>$(NAME)</c>, which Kubernetes expands.
    /// </summary>
    private static List<V1EnvVar> Environment(Workload workload, DeploymentModel model)
    {
        var secrets = new Dictionary<string, string>();
        var values = workload.Environment.Select(e => new V1EnvVar { Name = e.Key, Value = model.Resolve(e.Value, secrets) }).ToList();
        return
        [
            .. secrets.Select(s => new V1EnvVar
            {
                Name = s.Key,
                ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = s.Value } },
            }),
            .. values,
        ];
    }

    private static V1Service Service(string name, IEnumerable<Binding> bindings, string? selectorName = null, bool headless = false) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name),
        Spec = new V1ServiceSpec
        {
            Selector = Selector(selectorName ?? name),
            ClusterIP = headless ? "None" : null,
            PublishNotReadyAddresses = headless ? true : null,
            Ports = bindings.Select(b => new V1ServicePort { Port = b.TargetPort, Name = b.Name, Protocol = b.Protocol, TargetPort = b.TargetPort }).ToList(),
        },
    };

    private static V1Ingress Ingress(string service, int port, string publicUrl)
    {
        var url = new Uri(publicUrl);
        var rule = new V1IngressRule
        {
            Host = url.IsLoopback ? null : url.Host,
            Http = new V1HTTPIngressRuleValue
            {
                Paths =
                [
                    new V1HTTPIngressPath
                    {
                        Path = "/",
                        PathType = "Prefix",
                        Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = service, Port = new V1ServiceBackendPort { Number = port } } },
                    },
                ],
            },
        };
        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = Metadata(service),
            Spec = new V1IngressSpec
            {
                Rules = [rule],
                Tls = url.Scheme == "https" && rule.Host is not null ? [new V1IngressTLS { Hosts = [rule.Host], SecretName = service + "-tls" }] : null,
            },
        };
    }

    private static V1Probe HttpProbe(string path, int port) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = port },
        PeriodSeconds = 10,
        TimeoutSeconds = 3,
        FailureThreshold = 3,
    };

    private static V1ObjectMeta Metadata(string name) => new() { Name = name, Labels = Labels(name) };

    private static Dictionary<string, string> Selector(string name) => new() { ["app.kubernetes.io/name"] = name };

    private static Dictionary<string, string> Labels(string name) => new()
    {
        ["app.kubernetes.io/name"] = name,
        ["app.kubernetes.io/part-of"] = PartOf,
    };
}
