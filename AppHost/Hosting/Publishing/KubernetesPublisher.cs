using k8s;
using k8s.Models;

namespace Spokes.AppHost.Hosting.Publishing;

/// <summary>
/// Writes Kubernetes YAML for the cluster profile: a Deployment and a Service per service (probes on
/// <c>/health</c> and <c>/alive</c>; a StatefulSet where a service keeps files, host networking where it
/// serves a port range), a StatefulSet with volumes per stateful server (MongoDB as a three-member replica
/// set), an Ingress for the Gateway, and a kustomization whose secretGenerator builds the
/// <c>spokes-secrets</c> Secret from the operator's own <c>secrets.env</c>: no secret value is written.
/// </summary>
public static class KubernetesPublisher
{
    public const string SecretName = "spokes-secrets";
    private const string PartOf = "spokes";
    private const int MongoReplicas = 3;

    public static IReadOnlyList<string> Write(IReadOnlyDictionary<string, Resource> resources, AppHostOptions options)
    {
        var folder = options.OutputPath!;
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var files = new List<string>();

        foreach (var (name, objects) in Build(resources, options))
        {
            var file = name + ".yaml";
            File.WriteAllText(Path.Combine(folder, file), KubernetesYaml.SerializeAll(objects));
            files.Add(file);
        }

        var parameters = resources.Values.OfType<ParameterResource>().ToList();
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
            string.Concat(parameters.Select(p => $"{p.Name}=\n")));
        written.AddRange(files.Select(f => Path.Combine(folder, f)));
        written.Add(Path.Combine(folder, "kustomization.yaml"));
        written.Add(Path.Combine(folder, "secrets.env.example"));
        return written;
    }

    /// <summary>The objects of each resource, by file name.</summary>
    public static IEnumerable<(string Name, IReadOnlyList<object> Objects)> Build(
        IReadOnlyDictionary<string, Resource> resources, AppHostOptions options)
    {
        foreach (var resource in resources.Values)
        {
            switch (resource)
            {
                case ParameterResource:
                    continue;
                case ProjectResource project:
                    yield return (project.Name, Project(project, resources, options));
                    break;
                case ContainerResource container:
                    yield return (container.Name, Container(container, resources));
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Resource '{resource.Name}' ({resource.Type}) exists only in the local profile and cannot be published.");
            }
        }
    }

    private static IReadOnlyList<object> Project(ProjectResource project, IReadOnlyDictionary<string, Resource> resources, AppHostOptions options)
    {
        var http = project.GetEndpoint("http");
        var container = new V1Container
        {
            Name = project.Name,
            Image = $"{options.ImageRegistry}/{project.Name}:{typeof(KubernetesPublisher).Assembly.GetName().Version!.ToString(3)}",
            Ports = project.Endpoints.Select(e => new V1ContainerPort { ContainerPort = e.TargetPort, Name = e.Name }).ToList(),
            Env = [.. Environment(project, resources), .. GrpcListenEnvironment(project)],
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
        var pod = project.PortRanges.Count > 0
            ? new V1PodSpec { Containers = [container], HostNetwork = true, DnsPolicy = "ClusterFirstWithHostNet" }
            : new V1PodSpec { Containers = [container] };
        var objects = new List<object>();
        if (project.Volumes.Count > 0)
        {
            objects.AddRange(StatefulSet(project.Name, pod, project.Volumes, replicas: 1, storage: "1Gi", project.Endpoints));
        }
        else
        {
            objects.Add(new V1Deployment
            {
                ApiVersion = "apps/v1",
                Kind = "Deployment",
                Metadata = Metadata(project.Name),
                Spec = new V1DeploymentSpec
                {
                    Replicas = 1,
                    Selector = new V1LabelSelector { MatchLabels = Selector(project.Name) },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = Labels(project.Name) },
                        Spec = pod,
                    },
                },
            });
            objects.Add(Service(project.Name, project.Endpoints));
        }
        if (http.External) objects.Add(Ingress(project.Name, http.TargetPort, options.EffectivePublicUrl));
        return objects;
    }

    private static IReadOnlyList<object> Container(ContainerResource resource, IReadOnlyDictionary<string, Resource> resources)
    {
        var isMongo = resource.Image.EndsWith("/mongo", StringComparison.Ordinal);
        var container = new V1Container
        {
            Name = resource.Name,
            Image = $"{resource.Image}:{resource.Tag}",
            Args = resource.Arguments.Count > 0 ? resource.Arguments.ToList() : null,
            Ports = resource.Endpoints.Select(e => new V1ContainerPort { ContainerPort = e.TargetPort, Name = e.Name, Protocol = e.Protocol.ToUpperInvariant() }).ToList(),
            Env = Environment(resource, resources),
            VolumeMounts = resource.Volumes.Select(v => new V1VolumeMount { MountPath = v.Target, Name = v.Name }).ToList(),
        };
        if (resource.Endpoints.FirstOrDefault(e => e.Protocol == "tcp") is { } primary)
        {
            container.ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = primary.TargetPort }, PeriodSeconds = 5 };
            container.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = primary.TargetPort }, PeriodSeconds = 20, FailureThreshold = 6 };
        }

        if (resource.Volumes.Count == 0)
        {
            // Stateless servers (LiveKit): WebRTC media needs the node's own ports, hence host networking.
            return
            [
                new V1Deployment
                {
                    ApiVersion = "apps/v1",
                    Kind = "Deployment",
                    Metadata = Metadata(resource.Name),
                    Spec = new V1DeploymentSpec
                    {
                        Replicas = 1,
                        Selector = new V1LabelSelector { MatchLabels = Selector(resource.Name) },
                        Template = new V1PodTemplateSpec
                        {
                            Metadata = new V1ObjectMeta { Labels = Labels(resource.Name) },
                            Spec = new V1PodSpec { Containers = [container], HostNetwork = resource.PortRanges.Count > 0 },
                        },
                    },
                },
                Service(resource.Name, resource.Endpoints),
            ];
        }

        var objects = StatefulSet(resource.Name, new V1PodSpec { Containers = [container] }, resource.Volumes,
            replicas: isMongo ? MongoReplicas : 1, storage: isMongo ? "20Gi" : "5Gi", resource.Endpoints);
        if (isMongo) objects.Add(MongoReplicaSetJob(resource, Headless(resource.Name)));
        objects.Add(SpokesOnly(resource));
        return objects;
    }

    /// <summary>
    /// A StatefulSet whose pods each claim <paramref name="volumes"/>, its Service, and the headless Service that
    /// gives its pods stable names.
    /// </summary>
    private static List<object> StatefulSet(string name, V1PodSpec pod, IEnumerable<ContainerVolume> volumes, int replicas, string storage,
        IReadOnlyList<Endpoint> endpoints)
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
            Service(name, endpoints),
            Service(headless, endpoints, selectorName: name, headless: true),
        ];
    }

    private static string Headless(string name) => name + "-headless";

    /// <summary>
    /// Only pods of this suite reach a stateful server: MongoDB has no password of its own here, and the
    /// others' passwords should not be the only wall.
    /// </summary>
    private static V1NetworkPolicy SpokesOnly(ContainerResource resource) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(resource.Name + "-spokes-only"),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = Selector(resource.Name) },
            PolicyTypes = ["Ingress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty =
                    [
                        new V1NetworkPolicyPeer
                        {
                            PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = PartOf } },
                        },
                    ],
                },
            ],
        },
    };

    /// <summary>Initiates the replica set once every member answers; a no-op when it already exists.</summary>
    private static V1Job MongoReplicaSetJob(ContainerResource mongo, string headless)
    {
        var port = mongo.GetEndpoint("tcp").TargetPort;
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
                                Image = $"{mongo.Image}:{mongo.Tag}",
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
    /// <summary>HTTP_PORTS covers plain HTTP; a gRPC endpoint needs Kestrel's per-endpoint protocols, on every interface of the pod.</summary>
    private static IEnumerable<V1EnvVar> GrpcListenEnvironment(ProjectResource project) =>
        project.Endpoints.Any(e => e.Transport == "http2")
            ? ProjectResource.ListenEnvironment(project, e => $"http://+:{e.TargetPort}").Select(e => new V1EnvVar { Name = e.Key, Value = e.Value })
            : [];

    private static List<V1EnvVar> Environment(Resource resource, IReadOnlyDictionary<string, Resource> resources)
    {
        var secrets = new List<V1EnvVar>();
        var values = new List<V1EnvVar>();
        foreach (var (key, expression) in resource.Environment)
        {
            values.Add(new V1EnvVar { Name = key, Value = Resolve(expression, resources, secrets) });
        }
        return [.. secrets, .. values];
    }

    private static string Resolve(string expression, IReadOnlyDictionary<string, Resource> resources, List<V1EnvVar> secrets, int depth = 0)
    {
        if (depth > 8) throw new InvalidOperationException($"Expression '{expression}' refers to itself.");
        return Expressions.Evaluate(expression, reference =>
        {
            var target = resources[reference.Resource];
            switch (reference.Property)
            {
                case "connectionString":
                    return Resolve(target.ConnectionStringExpression!, resources, secrets, depth + 1);
                case "value":
                    var variable = "SPOKES_SECRET_" + ResourceNames.ToEnvironmentName(target.Name);
                    if (secrets.All(s => s.Name != variable))
                    {
                        secrets.Add(new V1EnvVar
                        {
                            Name = variable,
                            ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = target.Name } },
                        });
                    }
                    return $"$({variable})";
                default:
                    // In the cluster a Service named after the resource exposes each endpoint on its target port.
                    return Expressions.EndpointProperty(target.GetEndpoint(reference.Endpoint!), reference.Property, target.Name, e => e.TargetPort);
            }
        });
    }

    private static V1Service Service(string name, IEnumerable<Endpoint> endpoints, string? selectorName = null, bool headless = false) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name),
        Spec = new V1ServiceSpec
        {
            Selector = Selector(selectorName ?? name),
            ClusterIP = headless ? "None" : null,
            PublishNotReadyAddresses = headless ? true : null,
            Ports = endpoints.Select(e => new V1ServicePort { Port = e.TargetPort, Name = e.Name, Protocol = e.Protocol.ToUpperInvariant(), TargetPort = e.TargetPort }).ToList(),
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
