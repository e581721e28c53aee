using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spokes.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

public static class MessageBusExtensions
{
    /// <summary>
    /// Registers MassTransit 8 on the RabbitMQ resource <paramref name="resourceName"/>
    /// (<c>amqp://user:password@host:port/vhost</c>). <paramref name="configure"/> adds the service's
    /// consumers; their endpoints are named after them in kebab-case. MassTransit adds its own readiness
    /// check (bus started and connected), tagged <c>ready</c>.
    /// </summary>
    public static IHostApplicationBuilder AddMessageBus(
        this IHostApplicationBuilder builder,
        string resourceName,
        Action<IBusRegistrationConfigurator>? configure = null)
    {
        var address = new Uri(ConnectionStrings.GetRequired(builder.Configuration, resourceName));
        if (address.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs"))
        {
            throw new InvalidOperationException(
                $"Connection string '{resourceName}' must be an amqp:// URI, not '{address.Scheme}://'.");
        }

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(address);
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(options =>
        {
            // A service may start before RabbitMQ answers; it reports not-ready until the bus connects.
            options.WaitUntilStarted = false;
        });
        return builder;
    }
}
