using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>
/// <c>rotate-master-password</c>: re-wraps the chat database's data keys under a new master password
/// (<c>Api__NewMasterPassword</c>), given the current one (<c>Api__MasterPassword</c>), against the database the Api
/// uses (<c>ConnectionStrings__mongo</c>). Messages are not rewritten; afterwards the old password opens nothing.
/// </summary>
public static class MasterPasswordCommand
{
    public const string Name = "rotate-master-password";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0)
        {
            await Console.Error.WriteLineAsync($"Usage: Api__MasterPassword=CURRENT Api__NewMasterPassword=NEW {Name}");
            return 2;
        }
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddChatStorage();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            await ContentKeys.RotateAsync(host.Services.GetRequiredService<IKeyringStore>(), builder.Configuration["Api:MasterPassword"] ?? "",
                builder.Configuration["Api:NewMasterPassword"] ?? "");
            Console.WriteLine("The master password is changed: the data keys are wrapped under the new one, and the old one opens nothing.");
            return 0;
        }
        catch (MasterPasswordException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
