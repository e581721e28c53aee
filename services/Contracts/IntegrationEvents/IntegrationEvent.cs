namespace Spokes.Contracts.IntegrationEvents;

/// <summary>
/// Base of every integration event sent over RabbitMQ. Integration events are named in the past tense
/// (<c>MessageSent</c>, <c>FileClaimed</c>): they state a fact the producer has already committed, which
/// consumers may react to but never veto. <see cref="Id"/> lets consumers drop redeliveries.
/// </summary>
public abstract record IntegrationEvent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
