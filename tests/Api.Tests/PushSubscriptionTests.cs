using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Tests;

/// <summary>Stoat's <c>/push</c> routes: a session keeps at most one push subscription, for Pushd to deliver to.</summary>
[Collection(nameof(ApiCollection))]
public class PushSubscriptionTests(ApiFixture api)
{
    private const string P256dh = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
    private const string Auth = "tBHItJI5svbpez7KI4CCXg";

    private async Task<WebPushSubscription?> SubscriptionOfAsync(StoatSession client) =>
        (await api.Factory.Services.GetRequiredService<ISessionStore>().FindByTokenAsync(client.Token!))!.Subscription;

    [Fact]
    public async Task Subscribing_sets_the_sessions_subscription_replacing_any_before_and_unsubscribing_removes_it()
    {
        var user = await OnboardedUser.CreateAsync(api, "pushed");
        var first = new { endpoint = "https://push.example.com/send/first", p256dh = P256dh, auth = Auth };
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/push/subscribe", "/push/subscribe", first)).Status);
        Assert.Equal(new WebPushSubscription(first.endpoint, P256dh, Auth), await SubscriptionOfAsync(user.Client));

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/push/subscribe", "/push/subscribe",
            new { endpoint = "fcm", p256dh = "", auth = "device-token" })).Status);
        Assert.Equal(new WebPushSubscription("fcm", "", "device-token"), await SubscriptionOfAsync(user.Client));

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/push/unsubscribe", "/push/unsubscribe")).Status);
        Assert.Null(await SubscriptionOfAsync(user.Client));
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/push/unsubscribe", "/push/unsubscribe")).Status);
    }

    [Theory]
    [InlineData("http://push.example.com/send/plain")]
    [InlineData("https://user:secret@push.example.com/send")]
    [InlineData("/relative/path")]
    [InlineData("gcm")]
    public async Task A_subscription_that_is_not_a_push_service_is_refused_and_the_old_one_stays(string endpoint)
    {
        var user = await OnboardedUser.CreateAsync(api, "pushbad");
        var kept = new { endpoint = "https://push.example.com/send/kept", p256dh = P256dh, auth = Auth };
        await user.Client.PostAsync("/push/subscribe", "/push/subscribe", kept);

        var refused = await user.Client.PostAsync("/push/subscribe", "/push/subscribe", new { endpoint, p256dh = P256dh, auth = Auth });
        Assert.Equal((HttpStatusCode.BadRequest, "FailedValidation"), (refused.Status, refused.ErrorType));
        Assert.Equal(kept.endpoint, (await SubscriptionOfAsync(user.Client))!.Endpoint);
    }

    [Fact]
    public async Task A_subscription_missing_a_field_or_without_a_session_is_refused()
    {
        var user = await OnboardedUser.CreateAsync(api, "pushmissing");
        var missing = await user.Client.PostAsync("/push/subscribe", "/push/subscribe", new { endpoint = "https://push.example.com/x", p256dh = P256dh });
        Assert.Equal((HttpStatusCode.BadRequest, "FailedValidation"), (missing.Status, missing.ErrorType));
        Assert.Null(await SubscriptionOfAsync(user.Client));

        var anonymous = new StoatSession(api.Factory.CreateClient());
        var refused = await anonymous.PostAsync("/push/subscribe", "/push/subscribe", new { endpoint = "apn", p256dh = "", auth = "token" });
        Assert.Equal((HttpStatusCode.Unauthorized, "NotAuthenticated"), (refused.Status, refused.ErrorType));
        var unsubscribe = await anonymous.PostAsync("/push/unsubscribe", "/push/unsubscribe");
        Assert.Equal((HttpStatusCode.Unauthorized, "NotAuthenticated"), (unsubscribe.Status, unsubscribe.ErrorType));
    }

    [Fact]
    public void Fields_are_bounded()
    {
        Assert.Throws<StoatException>(() => PushSubscriptionRules.Validate(new PushSubscriptionRequest($"https://push.example.com/{new string('a', 2048)}", P256dh, Auth)));
        Assert.Throws<StoatException>(() => PushSubscriptionRules.Validate(new PushSubscriptionRequest("apn", new string('k', 4097), Auth)));
        Assert.Equal(new WebPushSubscription("apn", "", "token"), PushSubscriptionRules.Validate(new PushSubscriptionRequest("apn", "", "token")));
    }
}
