using System.Text.RegularExpressions;

namespace MtlBatch.Corpus;

/// <summary>Call-centre and clinic dialogue lines generated from templates with slot vocabularies.</summary>
public static partial class DialogueTemplates
{
    private static readonly Dictionary<string, string[]> Slots = new()
    {
        ["name"] = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth", "william",
            "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "daniel", "nancy", "matthew",
            "lisa", "anthony", "betty", "mark", "margaret", "donald", "sandra", "steven", "ashley", "paul", "kimberly", "andrew",
            "emily", "joshua", "donna", "kenneth", "michelle", "kevin", "dorothy", "brian", "carol", "george", "amanda", "edward",
            "melissa", "ronald", "deborah", "timothy", "stephanie", "jason", "rebecca", "jeffrey", "sharon", "ryan", "laura", "jacob",
            "cynthia", "gary", "kathleen", "nicholas", "amy", "eric", "angela", "jonathan", "shirley", "stephen", "anna", "larry",
            "brenda", "justin", "pamela", "scott", "emma", "brandon", "nicole", "benjamin", "helen", "samuel", "samantha", "gregory",
            "katherine", "frank", "christine", "alexander", "debra", "raymond", "rachel", "patrick", "carolyn", "jack", "janet",
            "dennis", "catherine", "jerry", "maria", "tyler", "heather", "aaron", "diane", "jose", "ruth", "adam", "julie", "henry",
            "olivia", "nathan", "joyce", "douglas", "virginia", "zachary", "victoria", "peter", "kelly", "kyle", "lauren", "walter"],
        ["surname"] = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
            "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez",
            "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king",
            "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall", "rivera", "campbell",
            "mitchell", "carter", "roberts", "patel", "murphy", "cooper", "reed", "bailey", "bell", "kelly", "howard", "ward", "cox"],
        ["product"] = ["internet connection", "phone bill", "credit card", "washing machine", "laptop", "router", "subscription",
            "insurance policy", "mortgage payment", "electricity account", "gas meter", "mobile plan", "television package",
            "delivery", "order", "refund", "warranty", "booking", "flight", "hotel reservation", "account", "password", "parcel",
            "printer", "heating system", "water bill", "car insurance", "savings account", "loan application", "membership"],
        ["problem"] = ["keeps disconnecting", "stopped working", "was charged twice", "never arrived", "is much slower than before",
            "shows the wrong amount", "was cancelled without notice", "makes a strange noise", "will not turn on", "is broken",
            "arrived damaged", "has been delayed again", "does not match my contract", "was blocked", "keeps asking for a code"],
        ["day"] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "tomorrow", "today", "next week",
            "the weekend", "this afternoon", "tomorrow morning", "next monday", "the end of the month"],
        ["month"] = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december"],
        ["symptom"] = ["a headache", "a sore throat", "a fever", "back pain", "a cough", "chest pain", "dizziness", "a rash",
            "trouble sleeping", "stomach pain", "a runny nose", "blurred vision", "shortness of breath", "joint pain", "nausea",
            "an earache", "swollen ankles", "a stiff neck", "tingling in my hands", "heartburn"],
        ["body"] = ["knee", "shoulder", "wrist", "ankle", "elbow", "hip", "neck", "lower back", "left foot", "right hand", "jaw", "chest"],
        ["medicine"] = ["ibuprofen", "paracetamol", "antibiotics", "the inhaler", "the cream", "vitamin d", "the blood pressure tablets",
            "the eye drops", "aspirin", "the new prescription", "insulin", "the sleeping pills"],
        ["duration"] = ["two days", "three weeks", "a month", "since friday", "about a week", "for a few hours", "since last year",
            "on and off for months", "since the accident", "every morning"],
        ["feeling"] = ["really frustrated", "very happy", "quite worried", "so relieved", "absolutely furious", "a bit confused",
            "really grateful", "pretty disappointed", "very tired", "completely fed up", "delighted", "nervous"],
        ["time"] = ["nine o'clock", "ten thirty", "half past two", "quarter to four", "noon", "eleven in the morning",
            "three in the afternoon", "five fifteen", "eight in the evening", "seven thirty"],
        ["place"] = ["the clinic", "the pharmacy", "the main office", "the store", "the hospital", "the depot", "your address",
            "the front desk", "the lab", "the bank branch", "the warehouse", "the reception"],
        ["company"] = ["northwind", "contoso", "fabrikam", "tailspin", "litware", "adventure works", "blue yonder", "proseware",
            "wide world", "margie's travel", "lucerne", "coho"],
    };

    private static readonly string[] Templates =
    [
        "thank you for calling {company} my name is {name} how can i help you today",
        "hello this is {name} from {company} am i speaking with {name} {surname}",
        "my {product} {problem}",
        "i have been waiting since {day} and my {product} {problem}",
        "i'm {feeling} because my {product} {problem}",
        "could you please confirm your full name and date of birth",
        "can i have the name on the account please",
        "it's {name} {surname}",
        "the account is under {name} {surname}",
        "i can see the {product} here on your account",
        "let me check that for you it will only take a moment",
        "i'm sorry to hear that {name} let me see what i can do",
        "i understand you're {feeling} and i apologise for the trouble",
        "we can send an engineer on {day} between {time} and {time}",
        "would {day} at {time} work for you",
        "yes {day} at {time} is perfect thank you",
        "no i can't do {day} is there anything earlier",
        "i've been charged {number} pounds for a {product} i never ordered",
        "the refund of {number} dollars will reach your account by {day}",
        "your reference number is {number} {number}",
        "this is the third time i've called about my {product}",
        "i want to speak to a manager right now",
        "that's wonderful news thank you so much for your help",
        "is there anything else i can help you with today",
        "no that's everything thanks {name} have a lovely day",
        "you too goodbye",
        "please hold the line while i transfer you",
        "i'm putting you through to our {product} team now",
        "the {product} was delivered to {place} on {day}",
        "you should receive a confirmation email in the next few minutes",
        "good morning doctor i've had {symptom} for {duration}",
        "hello {name} what brings you in today",
        "i've had {symptom} and {symptom} since {day}",
        "does the pain in your {body} get worse at night",
        "it hurts when i move my {body}",
        "have you taken anything for it like {medicine}",
        "i took {medicine} but it didn't help much",
        "i'm going to prescribe {medicine} twice a day for {duration}",
        "please come back to {place} if it gets worse",
        "we'll book a blood test at {place} on {day} at {time}",
        "any allergies to medication that i should know about",
        "i'm allergic to {medicine}",
        "how have you been feeling since your last visit in {month}",
        "i've been feeling {feeling} about the results",
        "the results came back and everything looks normal",
        "that's such a relief i was {feeling}",
        "i'm afraid we need to run a few more tests",
        "take a deep breath in and out again",
        "rate the pain in your {body} from one to ten",
        "it's about {digit} out of ten most days",
        "the nurse will call you on {day} with the results",
        "my appointment was moved to {day} in {month} and nobody told me",
        "we had {number} people in the waiting room this morning",
        "my daughter {name} has had {symptom} for {duration}",
        "i'd like to cancel my {product} please",
        "if you cancel now there is a fee of {number} pounds",
        "that's ridiculous i was never told about any fee",
        "i'll waive the fee this time as a gesture of goodwill",
        "oh that's great i really appreciate it",
        "can you spell your surname for me please",
        "what's the best number to reach you on",
        "i've updated your address to {number} {surname} road",
        "sorry the line is breaking up could you repeat that",
        "i said my {product} {problem}",
        "we're experiencing a high volume of calls at the moment",
        "your call is important to us please stay on the line",
        "i've been on hold for {number} minutes",
        "the password reset link expires in {digit} hours",
        "we'll review your {product} and get back to you by {day}",
        "this call may be recorded for training and quality purposes",
    ];

    /// <summary>Generates <paramref name="count"/> distinct dialogue lines (or as many as the templates allow).</summary>
    public static IReadOnlyList<string> Generate(Random random, int count)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var attempts = 0;
        while (result.Count < count && attempts++ < count * 20)
        {
            var template = Templates[random.Next(Templates.Length)];
            var text = Slot().Replace(template, m => m.Groups[1].Value switch
            {
                "number" => TextNormalizer.SpellNumber(random.Next(2, 999)),
                "digit" => TextNormalizer.SpellNumber(random.Next(2, 10)),
                var key => Slots[key][random.Next(Slots[key].Length)],
            });
            var normalized = TextNormalizer.Normalize(text);
            if (normalized is not null) result.Add(normalized);
        }
        return [.. result.Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Slot();
}
