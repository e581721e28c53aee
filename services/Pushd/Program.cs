using MassTransit;
using Spokes.Pushd;
using Spokes.Pushd.Notifications;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPushdServices();
builder.AddMessageBus("rabbitmq", bus =>
{
    // The Api or Redis away for a moment: the event is tried again; what was sent is not sent twice.
    void Retry(IRetryConfigurator retry) => retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
    bus.AddConsumer<MessageSentConsumer>((_, c) => c.UseMessageRetry(Retry));
    bus.AddConsumer<FriendRequestReceivedConsumer>((_, c) => c.UseMessageRetry(Retry));
    bus.AddConsumer<FriendRequestAcceptedConsumer>((_, c) => c.UseMessageRetry(Retry));
    bus.AddConsumer<NotificationRequestedConsumer>((_, c) => c.UseMessageRetry(Retry));
    bus.AddConsumer<CallRingConsumer>((_, c) => c.UseMessageRetry(Retry));
});

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

public partial class Program;
