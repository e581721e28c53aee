using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration.UserSecrets;
using Spokes.AppHost.Local;
using Spokes.Api.Encryption;

namespace Spokes.AppHost.Suite;

/// <summary>
/// The master password the chat content is encrypted under (the Api derives its key from it): from
/// <c>SPOKES_MASTER_PASSWORD</c>, or given as the parameter <c>master-password</c>, or — for a local run without
/// either — generated on the first start of a data folder and kept in this user's secrets, outside the data folder,
/// so that a copy of the folder holds no key. The data folder keeps only <c>master-key.json</c>: a salt and a
/// verifier, with which a wrong password is refused before anything starts.
/// </summary>
public sealed class MasterPassword
{
    public const string Variable = "SPOKES_MASTER_PASSWORD";
    public const string NewVariable = "SPOKES_NEW_MASTER_PASSWORD";
    public const string ParameterName = "master-password";
    public const string CheckFileName = "master-key.json";

    /// <summary>
    /// The user-secrets id the password is kept under (<c>dotnet user-secrets list --id spokes-apphost</c>). Not the
    /// project's own UserSecretsId: with one, Aspire would write its own keys there on every run, tests' runs included.
    /// </summary>
    public const string UserSecretsId = "spokes-apphost";

    private MasterPassword(string value, bool fromUserSecrets)
    {
        Value = value;
        FromUserSecrets = fromUserSecrets;
    }

    public string Value { get; }

    /// <summary>Kept in the user's secrets (generated there), rather than given by the operator.</summary>
    public bool FromUserSecrets { get; }

    public static string UserSecretsPath => PathHelper.GetSecretsPathFromSecretsId(UserSecretsId);

    private static string CheckFile(string dataFolder) => Path.Combine(dataFolder, CheckFileName);

    /// <summary>
    /// The password for <paramref name="dataFolder"/>, checked against its <c>master-key.json</c> before anything has
    /// changed: a wrong one ends the AppHost with one line. Generates one (printing where it is kept) only for a data
    /// folder that has none yet.
    /// </summary>
    public static MasterPassword Resolve(string dataFolder, string? configured)
    {
        var password = Given(configured) ?? FromSecrets();
        var check = ReadCheck(dataFolder);
        if (password is null)
        {
            if (check is not null)
                throw new SetupException($"No master password: {dataFolder} is encrypted under one. Give it as {Variable}.");
            password = new MasterPassword(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)), fromUserSecrets: true);
            SaveToSecrets(password.Value);
            Console.WriteLine($"Generated the master password of the chat content and kept it in {UserSecretsPath} (\"Parameters:{ParameterName}\").");
            Console.WriteLine($"Back it up: without it the data in {dataFolder} cannot be read. {Variable} given at start is used instead of it.");
        }
        if (check is not null)
        {
            using var opened = MasterKey.Open(password.Value, check);
            if (opened is null)
                throw new SetupException($"The master password does not open {dataFolder}: start with the one it was created with ({Variable}).");
        }
        return password;
    }

    /// <summary>Writes the data folder's check file on its first start (the folder exists by then).</summary>
    public void KeepCheck(string dataFolder)
    {
        if (File.Exists(CheckFile(dataFolder))) return;
        var (key, header) = MasterKey.Create(Value);
        key.Dispose();
        PrivateFile.Write(CheckFile(dataFolder), header.ToJson());
    }

    /// <summary>
    /// <c>rotate-master-password</c>: the Api re-wraps the chat database's data keys under the new password
    /// (<c>SPOKES_NEW_MASTER_PASSWORD</c>, or a generated one when the current one is kept in the user's secrets), then
    /// the data folder's check and the user's secrets follow. Run with the suite stopped.
    /// </summary>
    public static async Task<int> RotateAsync(SpokesOptions options, string? configured)
    {
        if (!File.Exists(CheckFile(options.DataFolder))) throw new SetupException($"{options.DataFolder} has no master password yet: start Spokes on it once first.");
        var current = Resolve(options.DataFolder, configured);
        var next = Environment.GetEnvironmentVariable(NewVariable) is { Length: > 0 } given ? given
            : current.FromUserSecrets ? Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))
            : throw new SetupException($"Give the new master password as {NewVariable}.");
        var database = Path.Combine(options.DataFolder, "sqlite", "spokes.db");
        if (!File.Exists(database))
            throw new SetupException($"rotate-master-password re-wraps the local profile's database ({database}); with MongoDB run the Api's rotate-master-password against it.");
        using (DataFolderLock.Acquire(options.DataFolder))
        {
            var exit = await ServiceProjects.RunBuiltProgramAsync("Spokes.Api", ["rotate-master-password"], new Dictionary<string, string>
            {
                ["Api__MasterPassword"] = current.Value,
                ["Api__NewMasterPassword"] = next,
                ["ConnectionStrings__mongo"] = $"Data Source={database}",
            });
            if (exit != 0) return exit;
            var (key, header) = MasterKey.Create(next);
            key.Dispose();
            PrivateFile.Write(CheckFile(options.DataFolder), header.ToJson());
        }
        if (current.FromUserSecrets && Environment.GetEnvironmentVariable(NewVariable) is not { Length: > 0 })
        {
            SaveToSecrets(next);
            Console.WriteLine($"The new master password is kept in {UserSecretsPath}: back it up again.");
        }
        else
        {
            Console.WriteLine($"Start Spokes with the new master password from now on ({Variable}).");
        }
        return 0;
    }

    private static MasterPassword? Given(string? configured) =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } variable ? new MasterPassword(variable, false)
        : configured is { Length: > 0 } ? new MasterPassword(configured, false)
        : null;

    private static MasterPassword? FromSecrets() =>
        LoadSecrets()[$"Parameters:{ParameterName}"]?.GetValue<string>() is { Length: > 0 } kept ? new MasterPassword(kept, true) : null;

    private static MasterKeyHeader? ReadCheck(string dataFolder)
    {
        if (!File.Exists(CheckFile(dataFolder))) return null;
        try
        {
            return MasterKeyHeader.Parse(File.ReadAllText(CheckFile(dataFolder)));
        }
        catch (FormatException e)
        {
            throw new SetupException($"{CheckFile(dataFolder)} is damaged ({e.Message}): restore it from a backup.");
        }
    }

    private static JsonObject LoadSecrets()
    {
        if (!File.Exists(UserSecretsPath)) return [];
        try
        {
            return JsonNode.Parse(File.ReadAllText(UserSecretsPath)) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            throw new SetupException($"{UserSecretsPath} is damaged ({e.Message}): repair it or give {Variable}.");
        }
    }

    private static void SaveToSecrets(string password)
    {
        var secrets = LoadSecrets();
        secrets[$"Parameters:{ParameterName}"] = password;
        Directory.CreateDirectory(Path.GetDirectoryName(UserSecretsPath)!);
        PrivateFile.Write(UserSecretsPath, secrets.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
