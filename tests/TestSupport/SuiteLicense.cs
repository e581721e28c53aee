namespace Spokes.TestSupport;

/// <summary>
/// The key that verifies tests/suite.spokes-license, which tests/suite-setup.json names: the Apis and suites that tests
/// and benchmarks start are licensed, as demo mode would refuse their eleventh account. Its private half signed the
/// licence once and was thrown away.
/// </summary>
public static class SuiteLicense
{
    public const string VerifyingKey = "evk4TLud8EVQqmNFQ5JGtk2DNuRWBtDKdmisziOBaJ4=";
}
