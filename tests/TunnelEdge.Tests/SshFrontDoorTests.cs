using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// `listen.ssh`: OpenSSH's own client (`ssh -N -R`), nothing of ours installed, publishes a local HTTP app and a TCP
/// port through the edge's SSH front door; it signs in with a tunnel's token (user name or password) or a public key
/// registered for a token (`spokes ssh-keys`), and the edge's ownership rules hold for it.
/// </summary>
public sealed class SshFrontDoorTests : IAsyncLifetime
{
    private LocalServices _local = null!;
    private EdgeHarness _edge = null!;
    private readonly List<ManagedProcess> _clients = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) await client.StopAsync(TimeSpan.FromSeconds(5));
        await Teardown.DisposeAsync(_edge, _local);
        _http.Dispose();
    }

    private async Task<string> TokenAsync(string hostname) =>
        (await _edge.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = hostname }, _edge.AdminHeaders)).Token;

    /// <summary>A key pair made by ssh-keygen in the edge's folder; returns the private key's path.</summary>
    private async Task<string> KeyAsync(string name, string type)
    {
        var path = Path.Combine(_edge.Folder, name);
        using var keygen = Process.Start(new ProcessStartInfo("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", path]) { RedirectStandardOutput = true })!;
        await keygen.WaitForExitAsync();
        Assert.Equal(0, keygen.ExitCode);
        return path;
    }

    /// <summary>`spokes ssh-keys add` for the token's ID (as the operator finds it in `spokes token ls`); returns the key's ID.</summary>
    private async Task<long> RegisterKeyAsync(string token, string privateKey)
    {
        var tokenId = (await _edge.Admin.ListTokensAsync(new Empty(), _edge.AdminHeaders)).Tokens.Single(t => t.Token == token).Id;
        var added = (await _edge.SpokesAsync("ssh-keys", "add", "--token-id", tokenId.ToString(), "--public-key", privateKey + ".pub")).AssertSuccess();
        return long.Parse(added.Rows()[1][0]);
    }

    /// <summary>
    /// `ssh -N -R ... -p SSH user@127.0.0.1`, never asking anything on a terminal; a password comes from SSH_ASKPASS.
    /// Returns the process and its output.
    /// </summary>
    private (ManagedProcess Process, ConcurrentQueue<string> Output) StartSsh(string user, string[] forwards, string? key = null, string? password = null)
    {
        var output = new ConcurrentQueue<string>();
        List<string> arguments = ["-N", "-p", _edge.SshPort.ToString(), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ExitOnForwardFailure=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"];
        foreach (var forward in forwards) arguments.AddRange(["-R", forward]);
        if (key is not null) arguments.AddRange(["-i", key, "-o", "PasswordAuthentication=no"]);
        else arguments.AddRange(["-o", "PubkeyAuthentication=no"]);
        // Without a password, nothing may be asked (BatchMode); with one, ssh asks SSH_ASKPASS.
        if (password is null) arguments.AddRange(["-o", "BatchMode=yes"]);
        var spec = new ProcessSpec("ssh", [.. arguments, $"{user}@127.0.0.1"]) { WorkingDirectory = _edge.Folder };
        if (password is not null)
        {
            var askpass = Path.Combine(_edge.Folder, $"askpass-{Guid.NewGuid():N}.sh");
            File.WriteAllText(askpass, $"#!/bin/sh\necho '{password}'\n");
            File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            spec.Environment["SSH_ASKPASS"] = askpass;
            spec.Environment["SSH_ASKPASS_REQUIRE"] = "force";
            spec.Environment["DISPLAY"] = ":0";
        }
        var process = ManagedProcess.Start(spec, "tunnel-edge-test", output.Enqueue);
        _clients.Add(process);
        return (process, output);
    }

    private async Task<HttpResponseMessage> VisitAsync(string hostname, string path = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_edge.HttpPort}{path}");
        request.Headers.Host = hostname;
        return await _http.SendAsync(request);
    }

    /// <summary>Polls until the hostname answers from the app (the forward is set up just after sign-in).</summary>
    private async Task<string> PageWhenServedAsync(string hostname, ManagedProcess ssh, ConcurrentQueue<string> output)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            Assert.False(ssh.HasExited, $"ssh exited:\n{string.Join('\n', output)}\n{_edge.Log}");
            using var response = await VisitAsync(hostname);
            if (response.StatusCode == HttpStatusCode.OK) return await response.Content.ReadAsStringAsync();
            await Task.Delay(100);
        }
        throw new TimeoutException($"{hostname} was never served:\n{string.Join('\n', output)}\n{_edge.Log}");
    }

    [Fact]
    public async Task Ssh_with_a_token_as_user_name_publishes_a_hostname_and_an_allocated_tcp_port()
    {
        var token = await TokenAsync("sshapp");
        var (ssh, output) = StartSsh(token, [$"sshapp:80:127.0.0.1:{_local.HttpPort}", $"0:127.0.0.1:{_local.EchoPort}"]);

        Assert.Equal($"hello from sshapp.{EdgeHarness.Domain}", await PageWhenServedAsync($"sshapp.{EdgeHarness.Domain}", ssh, output));
        // Many visitors at once, each its own channel on the one SSH connection; a large body crosses the window many times.
        var pages = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await VisitAsync($"sshapp.{EdgeHarness.Domain}");
            return await response.Content.ReadAsStringAsync();
        }));
        Assert.All(pages, page => Assert.Equal($"hello from sshapp.{EdgeHarness.Domain}", page));
        using (var large = await VisitAsync($"sshapp.{EdgeHarness.Domain}", "/bytes/20000000"))
            Assert.Equal(LocalServices.Payload(64 * 1024), (await large.Content.ReadAsByteArrayAsync())[..(64 * 1024)]);

        // ssh prints the port the edge allocated; an echo through it sees its half-close passed on and everything back.
        var allocated = output.Select(l => l.StartsWith("Allocated port ", StringComparison.Ordinal) ? int.Parse(l.Split(' ')[2]) : 0).Single(p => p != 0);
        Assert.InRange(allocated, _edge.PortRangeBegin, _edge.PortRangeBegin + 19);
        var payload = LocalServices.Payload(3 * 1024 * 1024 + 17);
        Assert.Equal(payload, await LocalServices.EchoThroughAsync(allocated, payload));

        var tunnels = await _edge.Admin.ListTunnelsAsync(new ListTunnelsRequest { Online = true }, _edge.AdminHeaders);
        var tunnel = Assert.Single(tunnels.Tunnels);
        Assert.Equal($"sshapp.{EdgeHarness.Domain}", tunnel.Hostname);
        Assert.Equal("127.0.0.1", tunnel.Address);

        // The client leaving takes the tunnel offline and its hostname off the edge.
        await ssh.StopAsync(TimeSpan.FromSeconds(5));
        for (var attempt = 0; attempt < 50 && (await VisitAsync($"sshapp.{EdgeHarness.Domain}")).StatusCode != HttpStatusCode.NotFound; attempt++) await Task.Delay(100);
        Assert.Equal(HttpStatusCode.NotFound, (await VisitAsync($"sshapp.{EdgeHarness.Domain}")).StatusCode);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    public async Task Ssh_with_a_registered_public_key_publishes_the_tokens_hostname(string keyType)
    {
        var token = await TokenAsync($"key{keyType}");
        var key = await KeyAsync($"user-{keyType}", keyType);
        await RegisterKeyAsync(token, key);
        // Bind address localhost: the tunnel's own hostname.
        var (ssh, output) = StartSsh("anyone", [$"localhost:80:127.0.0.1:{_local.HttpPort}"], key: key);
        Assert.Equal($"hello from key{keyType}.{EdgeHarness.Domain}", await PageWhenServedAsync($"key{keyType}.{EdgeHarness.Domain}", ssh, output));
    }

    /// <summary>
    /// Keys are the operator's through `spokes ssh-keys`: listed with OpenSSH's fingerprint, bad lines and unknown tokens
    /// refused, and a removed key refused at its next connection, with no restart.
    /// </summary>
    [Fact]
    public async Task Keys_are_added_listed_and_removed_with_spokes_and_a_removed_key_is_refused_at_its_next_connection()
    {
        var token = await TokenAsync("managed");
        var key = await KeyAsync("managed", "ed25519");
        var id = await RegisterKeyAsync(token, key);
        using (var keygen = Process.Start(new ProcessStartInfo("ssh-keygen", ["-l", "-f", key + ".pub"]) { RedirectStandardOutput = true })!)
        {
            var fingerprint = (await keygen.StandardOutput.ReadToEndAsync()).Split(' ')[1];
            var listed = (await _edge.SpokesAsync("ssh-keys", "list")).AssertSuccess().Rows();
            Assert.Equal([id.ToString(), $"managed.{EdgeHarness.Domain}", "ssh-ed25519", fingerprint, "managed"], [listed[1][0], listed[1][2], listed[1][3], listed[1][4], listed[1][5]]);
        }

        var again = await _edge.SpokesAsync("ssh-keys", "add", "--token-id", "1", "--public-key", key + ".pub");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("registered already", again.Error);
        var garbage = await _edge.SpokesAsync("ssh-keys", "add", "--token-id", "1", "--public-key", "ssh-ed25519 bm90IGEga2V5");
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("is not a ssh-ed25519 key", garbage.Error);
        var other = await KeyAsync("other", "ecdsa");
        var unknownToken = await _edge.SpokesAsync("ssh-keys", "add", "--token-id", "999", "--public-key", other + ".pub");
        Assert.Equal(1, unknownToken.ExitCode);
        Assert.Contains("no active authentication token 999", unknownToken.Error);

        var (ssh, output) = StartSsh("anyone", [$"localhost:80:127.0.0.1:{_local.HttpPort}"], key: key);
        Assert.Equal($"hello from managed.{EdgeHarness.Domain}", await PageWhenServedAsync($"managed.{EdgeHarness.Domain}", ssh, output));
        await ssh.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Contains("Removed 1 SSH key(s).", (await _edge.SpokesAsync("ssh-keys", "remove", "--id", id.ToString())).AssertSuccess().Output);
        Assert.Single((await _edge.SpokesAsync("ssh-keys", "ls")).AssertSuccess().Rows());
        var (refused, refusedOutput) = StartSsh("anyone", [$"localhost:80:127.0.0.1:{_local.HttpPort}"], key: key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(255, await refused.Exited.WaitAsync(timeout.Token));
        Assert.Contains(refusedOutput, l => l.Contains("Permission denied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ssh_with_the_token_as_password_publishes_its_hostname()
    {
        var token = await TokenAsync("pw");
        var (ssh, output) = StartSsh("someone", [$"pw:80:127.0.0.1:{_local.HttpPort}"], password: token);
        Assert.Equal($"hello from pw.{EdgeHarness.Domain}", await PageWhenServedAsync($"pw.{EdgeHarness.Domain}", ssh, output));
    }

    [Fact]
    public async Task Wrong_tokens_and_unregistered_keys_are_refused_and_a_hostname_another_token_owns_is_not_taken_over()
    {
        var owner = await TokenAsync("owned");
        var other = await TokenAsync("intruder");
        var registered = await KeyAsync("registered", "ecdsa");
        await RegisterKeyAsync(owner, registered);
        var stranger = await KeyAsync("stranger", "ecdsa");

        var (wrongToken, wrongTokenOutput) = StartSsh("not-a-token", [$"owned:80:127.0.0.1:{_local.HttpPort}"]);
        var (wrongPassword, wrongPasswordOutput) = StartSsh("someone", [$"owned:80:127.0.0.1:{_local.HttpPort}"], password: "not-a-token");
        var (wrongKey, wrongKeyOutput) = StartSsh("someone", [$"owned:80:127.0.0.1:{_local.HttpPort}"], key: stranger);
        // A valid token asking for another token's hostname, and for a port it was never allocated.
        var (takeover, takeoverOutput) = StartSsh(other, [$"owned:80:127.0.0.1:{_local.HttpPort}"]);
        var (foreignPort, foreignPortOutput) = StartSsh(other, [$"{_edge.PortRangeBegin + 5}:127.0.0.1:{_local.EchoPort}"]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var (process, output) in new[] { (wrongToken, wrongTokenOutput), (wrongPassword, wrongPasswordOutput), (wrongKey, wrongKeyOutput) })
        {
            Assert.Equal(255, await process.Exited.WaitAsync(timeout.Token));
            Assert.Contains(output, l => l.Contains("Permission denied", StringComparison.Ordinal));
        }
        foreach (var (process, output) in new[] { (takeover, takeoverOutput), (foreignPort, foreignPortOutput) })
        {
            Assert.Equal(255, await process.Exited.WaitAsync(timeout.Token));
            Assert.Contains(output, l => l.Contains("remote port forwarding failed", StringComparison.Ordinal));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await VisitAsync($"owned.{EdgeHarness.Domain}")).StatusCode);

        // The owner's own key still publishes it.
        var (ssh, output2) = StartSsh("owner", [$"owned:80:127.0.0.1:{_local.HttpPort}"], key: registered);
        Assert.Equal($"hello from owned.{EdgeHarness.Domain}", await PageWhenServedAsync($"owned.{EdgeHarness.Domain}", ssh, output2));
    }

    [Fact]
    public async Task Visitor_controls_hold_for_the_visitors_of_a_tunnel_published_by_ssh()
    {
        var token = await TokenAsync("sshguarded");
        var (ssh, output) = StartSsh(token, [$"sshguarded:80:127.0.0.1:{_local.HttpPort}", $"0:127.0.0.1:{_local.EchoPort}"]);
        await PageWhenServedAsync($"sshguarded.{EdgeHarness.Domain}", ssh, output);
        var allocated = output.Select(l => l.StartsWith("Allocated port ", StringComparison.Ordinal) ? int.Parse(l.Split(' ')[2]) : 0).Single(p => p != 0);
        var tunnel = (await _edge.Admin.ListTunnelsAsync(new ListTunnelsRequest(), _edge.AdminHeaders)).Tunnels
            .Single(t => t.Hostname == $"sshguarded.{EdgeHarness.Domain}").Id.ToString();

        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--deny", "127.0.0.1/32")).AssertSuccess();
        using (var refused = await VisitAsync($"sshguarded.{EdgeHarness.Domain}")) Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Empty(await EchoOrNothingAsync(allocated, "ping"u8.ToArray()));

        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--clear-lists")).AssertSuccess();
        using (var admitted = await VisitAsync($"sshguarded.{EdgeHarness.Domain}")) Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal("ping"u8.ToArray(), await EchoOrNothingAsync(allocated, "ping"u8.ToArray()));
    }

    /// <summary>What the echo behind the port sends back; nothing when the edge closes the visitor's connection.</summary>
    private static async Task<byte[]> EchoOrNothingAsync(int port, byte[] payload)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var received = new MemoryStream();
        try
        {
            await socket.SendAsync(payload);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0) received.Write(buffer, 0, read);
        }
        catch (SocketException)
        {
        }
        return received.ToArray();
    }
}
