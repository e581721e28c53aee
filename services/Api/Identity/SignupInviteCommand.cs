using Spokes.Api.Community;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// <c>signup-invites create [--count N] | ls</c>: the operator's tool for invite-only instances, run against
/// the same chat database the Api uses (its <c>ConnectionStrings__mongo</c>), as authifier's invites are
/// made in the database.
/// </summary>
public static class SignupInviteCommand
{
    public const string Name = "signup-invites";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder();
        // The command's output is its result: only problems are logged beside it.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddChatStorage();
        using var host = builder.Build();
        await host.StartAsync();
        var invites = host.Services.GetRequiredService<ISignupInviteStore>();
        try
        {
            switch (args)
            {
                case ["create"]:
                    return await CreateAsync(invites, 1);
                case ["create", "--count", var text] when int.TryParse(text, out var count) && count is >= 1 and <= 1000:
                    return await CreateAsync(invites, count);
                case ["ls"]:
                    Console.WriteLine($"{"CODE",-10}  CLAIMED BY");
                    foreach (var invite in await invites.ListAsync()) Console.WriteLine($"{invite.Code,-10}  {invite.ClaimedBy ?? "-"}");
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"Usage: {Name} create [--count N (1–1000)] | {Name} ls");
                    return 2;
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<int> CreateAsync(ISignupInviteStore invites, int count)
    {
        for (var made = 0; made < count;)
        {
            var invite = new SignupInvite(InviteService.NewCode());
            try
            {
                await invites.CreateAsync(invite);
            }
            catch (DuplicateKeyException)
            {
                continue;
            }
            Console.WriteLine(invite.Code);
            made++;
        }
        return 0;
    }
}
