using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Spokes.Api.Encryption;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>The AppHost's side of the master password: checked against the data folder before anything starts, generated outside it when none is given.</summary>
public sealed class MasterPasswordTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_wrong_master_password_stops_the_apphost_with_one_line_and_leaves_the_data_folder_as_it_was()
    {
        using var data = new TemporaryFolder("spokes-user");
        var (key, header) = MasterKey.Create("the password the folder was made with");
        key.Dispose();
        File.WriteAllText(Path.Combine(data.Path, "master-key.json"), header.ToJson());
        Directory.CreateDirectory(Path.Combine(data.Path, "sqlite"));
        File.WriteAllBytes(Path.Combine(data.Path, "sqlite", "spokes.db"), RandomNumberGenerator.GetBytes(8192));
        var before = Snapshot(data.Path);

        await using (var apphost = AppHostProcess.Start(["--profile", "local", "--data", data.Path, "--port", Ports.Free().ToString()], owner: data.Path,
                         environment: new() { [AppHostProcess.MasterPasswordVariable] = "not the password" }))
        {
            Assert.Equal(1, await apphost.WaitForExitAsync(ExitTimeout));
            Assert.Equal($"The master password does not open {data.Path}: start with the one it was created with (SPOKES_MASTER_PASSWORD).", apphost.Output.Trim());
        }
        await using (var rotation = AppHostProcess.Start(["rotate-master-password", "--data", data.Path], owner: data.Path,
                         environment: new() { [AppHostProcess.MasterPasswordVariable] = "not the password", ["SPOKES_NEW_MASTER_PASSWORD"] = "another" }))
        {
            Assert.Equal(1, await rotation.WaitForExitAsync(ExitTimeout));
            Assert.StartsWith("The master password does not open", rotation.Output.Trim());
        }
        Assert.Equal(before, Snapshot(data.Path));
    }

    [Fact]
    public async Task Without_a_master_password_a_new_data_folder_gets_one_kept_in_the_users_secrets_and_never_in_the_folder()
    {
        using var data = new TemporaryFolder("spokes-user");
        using var home = new TemporaryFolder("spokes-home");
        // The gateway's port is taken, so the start stops right after the password is settled.
        using var blocker = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((System.Net.IPEndPoint)blocker.LocalEndpoint).Port;
        await using var apphost = AppHostProcess.Start(["--profile", "local", "--data", data.Path, "--port", port.ToString()], owner: data.Path,
            environment: new() { [AppHostProcess.MasterPasswordVariable] = "", ["HOME"] = home.Path });
        Assert.Equal(1, await apphost.WaitForExitAsync(ExitTimeout));

        var secrets = Path.Combine(home.Path, ".microsoft", "usersecrets", "spokes-apphost", "secrets.json");
        Assert.Contains($"Generated the master password of the chat content and kept it in {secrets}", apphost.Output);
        Assert.Contains("Back it up", apphost.Output);
        var password = JsonNode.Parse(File.ReadAllText(secrets))!["Parameters:master-password"]!.GetValue<string>();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secrets));
        using var opened = MasterKey.Open(password, MasterKeyHeader.Parse(File.ReadAllText(Path.Combine(data.Path, "master-key.json"))));
        Assert.NotNull(opened);
        Assert.All(Directory.GetFiles(data.Path, "*", SearchOption.AllDirectories), file => Assert.DoesNotContain(password, File.ReadAllText(file)));
    }

    private static IReadOnlyDictionary<string, string> Snapshot(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        .Order().ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
