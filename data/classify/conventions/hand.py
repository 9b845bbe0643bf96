"""Hand-written requests (own words) for the conventions of GUIDE.md: lists of ideas and options
are Brainstorming, lists of facts that exist are open_qa, numbers, dates or a small story do not
make a request `math_puzzles`, while exercises in math notation do; programming exercises ask
for code."""

_BRAINSTORM = {
    "recommendations": [
        "Give me a list of fun things to do on a snowy day with kids.",
        "List some ideas for a 30th birthday party theme.",
        "What are some good board games for a family of four?",
        "Brainstorm ten ideas for a school science fair project.",
        "give me some ideas for a romantic weekend away",
        "List a few podcasts about history that are worth listening to.",
        "Can you give me a list of TV series similar to Breaking Bad?",
        "Suggest some hobbies a retired engineer might enjoy.",
        "What are some things to see in Lisbon in two days?",
        "Give me 5 ideas for a vegetarian dinner tonight.",
        "List some creative uses for an old wooden ladder.",
        "What are good gifts for someone who loves gardening?",
        "Brainstorm some themes for a company holiday party.",
        "Give me a list of outdoor activities for a summer camp.",
        "I need ideas for a YouTube channel about cooking. Give me a list.",
        "What are some fun team-building activities for a remote team?",
        "List some novels to read on a long train journey.",
        "Give me ideas for decorating a tiny studio apartment.",
        "What are some day trips I could take from Kyoto?",
        "Name some good apps for learning to draw.",
        "Give me a list of snacks to bring on a 10 km hike.",
        "List some fun Halloween costume ideas for a couple.",
        "What could I do this weekend if it rains all day?",
        "Suggest a few names of songs to play at a 1970s themed party.",
        "Brainstorm activities for a 6-year-old's rainy afternoon at home.",
        "Come up with a list of date night ideas under 20 dollars.",
    ],
    "advice_giving": [
        "List some ways to save money on groceries.",
        "Give me a list of ways to fall asleep faster.",
        "What are some ways to make friends after moving to a new city?",
        "Brainstorm ways our small bakery could attract more customers.",
        "List a few strategies to stay focused while working from home.",
        "Give me some ideas to reduce food waste at home.",
        "What are ways to keep my 2 dogs calm during fireworks?",
        "List some things I can do to prepare for a job interview.",
        "Give me ideas for cutting our household electricity bill.",
        "What are some ways to stay motivated when learning a language?",
        "Brainstorm solutions for the long queue at our school canteen.",
        "List several ways a city could reduce traffic jams.",
        "how can i get better at public speaking? give me a list",
        "Give me a list of tips for running my first 5K.",
        "What are some ways to deal with a noisy neighbour?",
        "Brainstorm how a library could get more teenagers to visit.",
        "List some ways to cope with jet lag after a 12-hour flight.",
        "What can I do to keep houseplants alive while I'm away for 3 weeks?",
    ],
    "planning": [
        "Give me a list of things to do to get ready for a move in 6 weeks, week by week.",
        "Brainstorm a 3-day itinerary for Rome on a budget of 400 euros.",
        "List the steps and a timeline for organising a charity bake sale next month.",
        "Plan a one-week study schedule for my chemistry final on the 14th.",
    ],
}

_FACT_LISTS = [
    "Give me a list of the largest lakes in Africa.",
    "List the members of the Beatles.",
    "Name five rivers in South America.",
    "Give me a list of the planets in our solar system in order from the sun.",
    "List the countries that share a border with Spain.",
    "What are the noble gases?",
    "Give me a list of Shakespeare's tragedies.",
    "List the official languages of Canada.",
    "Name some famous Baroque composers.",
    "Give me a list of the Olympic host cities since 2000.",
    "Which animals are marsupials? List a few.",
    "List the wives of Henry VIII.",
    "Give me the names of the Great Lakes.",
    "What are the layers of the Earth's atmosphere?",
    "List the books in the Harry Potter series.",
    "Name the bones of the human leg.",
]

_NUMBERS_NOT_MATH = {
    "open_qa": [
        "How many moons does Jupiter have?",
        "How many players are on a volleyball team?",
        "What year did the Berlin Wall fall?",
        "How many bones are there in the adult human body?",
        "When did World War 1 start and end?",
        "How many strings does a standard guitar have?",
        "What happened in Paris in May 1968?",
        "How many time zones does Russia have?",
        "Who won the FIFA World Cup in 2014?",
        "How tall is Mount Kilimanjaro?",
        "What is the population of Tokyo?",
        "How many Harry Potter books are there?",
        "Which country hosted the 1992 Summer Olympics?",
        "How many keys does a piano have?",
        "What was the 19th Amendment to the US Constitution about?",
        "How long is the Great Wall of China?",
        "How many hearts does an octopus have?",
        "Tell me about the 1906 San Francisco earthquake.",
        "Who was the 16th president of the United States?",
        "How many symphonies did Beethoven write?",
        "What is Route 66?",
        "How many seasons of Friends were made?",
        "Who were the top 3 finishers in the 2019 Tour de France?",
        "What is the speed of sound at sea level?",
        "How many calories are in a banana?",
        "In which century did the printing press appear in Europe?",
        "How old is the universe?",
        "What was Apollo 11?",
        "How many teeth does an adult human have?",
        "When was the first iPhone released?",
    ],
    "advice_giving": [
        "I'm 34, I earn $52,000 a year and have $8,000 in credit card debt. What should I do first?",
        "My 3 kids, aged 4, 7 and 11, fight over screen time every evening. How should I handle it?",
        "I run 5 km three times a week but my knee hurts after 2 km. Any advice?",
        "My neighbour's dog barks from 2 am to 4 am most nights. What can I do?",
        "I have 2 job offers, one paying 10% more but with a 90-minute commute. How should I decide?",
        "I'm 45 and want to switch careers to nursing. Is it too late, and how should I start?",
        "We have 6 weeks until our wedding and 40 guests still haven't replied. What should we do?",
        "My teenager spends 9 hours a day on his phone. How can I talk to him about it?",
    ],
    "story_generation": [
        "Write a short story about 3 siblings who find a 100-dollar bill on the way to school.",
        "Tell a story about a lighthouse keeper in 1912 who sees a ship in trouble.",
        "Write a story where a girl counts 1,000 paper cranes to make a wish.",
        "Write a short tale about 2 rival bakers in a village of 300 people.",
        "Write a story about a robot that wakes up in the year 3021.",
        "A man buys 12 eggs and one of them hatches. Write the story of what happens next.",
    ],
    "email_generation": [
        "Write an email telling the 25 members of my team that Tuesday's meeting moves to 2 pm.",
        "Draft a letter to my landlord saying the heating has been broken for 10 days.",
        "Write an email asking for a refund of $89.99 for an order that never arrived.",
        "Write a note to parents about the class trip on 14 May; it costs 12 euros per child.",
    ],
    "data_generation": [
        "Generate 10 fake phone numbers in the US format.",
        "Create 5 sample customer records with name, age and city.",
        "Make up 8 order IDs and totals for testing an invoice system.",
    ],
    "recommendations": [
        "Recommend 5 novels under 200 pages.",
        "Suggest 3 laptops under $800 for a student.",
        "What are 4 good family cars with 7 seats?",
    ],
    "planning": [
        "Plan a 3-day trip to Rome for 2 people with a budget of 600 euros.",
        "Make a 12-week training plan for a first half marathon.",
        "Create a schedule for a 2-day workshop for 30 teachers.",
    ],
    "explain_answer": [
        "Why does a year have 365 days?",
        "Why is a week 7 days long?",
        "Explain why water boils at 100 degrees Celsius at sea level but lower on a mountain.",
        "Why do we have leap years every 4 years?",
    ],
    "fact_verification": [
        "Is it true that humans only use 10% of their brains?",
        "Did the Titanic sink in 1912? True or false?",
        "Is it true that a goldfish has a 3-second memory?",
        "Was the Great Fire of London in 1666?",
    ],
    "value_judgement": [
        "Is a 4-day work week better than a 5-day one?",
        "Which is better for a 10-year-old, a phone or a tablet?",
        "Is it worth paying $1,000 for a flagship phone?",
    ],
    "closed_qa": [
        "The museum opens at 9 am and closes at 5 pm, except on Mondays when it is closed. Is the museum open on Monday?",
        "Anna was born in 1990 in Porto and moved to Berlin in 2014 to study architecture. Where did Anna study?",
    ],
    "general_classification": [
        "Classify these years as 20th or 21st century: 1999, 2001, 1950, 2020.",
        "Which of these are prime ministers and which are presidents: Macron, Sunak, Biden, Trudeau?",
    ],
    "ordering": [
        "Put these events in chronological order: the Moon landing, the fall of the Berlin Wall, the end of World War 2.",
        "Sort these cities by population, largest first: Lagos, Oslo, Tokyo, Lima.",
    ],
}

# Exercises in math notation are math_puzzles (criteria/math_puzzles.md: "arithmetic or algebra
# exercise"), calculus and geometry included; only other subjects' exam items are exam_problem_solving_tutor.
_MATH_EXERCISES = [
    "Find the derivative of f(x) = 3x^4 - 2x + 7.",
    "Integrate 2x*cos(x^2) dx.",
    "Evaluate the limit of (1 - cos x)/x^2 as x goes to 0.",
    "Solve for x: 5x - 3 = 2x + 12",
    "Find the roots of x^2 - 7x + 10 = 0.",
    "What is the area of a triangle with a base of 9 m and a height of 4 m?",
    "Compute the volume of a sphere with radius 3 cm.",
    "Solve the system 2x + y = 7 and x - y = 2.",
    "Find the slope of the line through (1, 2) and (4, 11).",
    "Simplify (x^2 - 9)/(x - 3).",
    "What is 15% of 240?",
    "Find the equation of the tangent line to y = x^3 at x = 2.",
    "Solve the differential equation y' = 3y given y(0) = 2.",
    "Find the inverse of the matrix [[2, 1], [5, 3]].",
    "g(x) = 2x^2 + 3x, what is g(-2)?",
    "Find the maximum value of f(x) = -x^2 + 6x - 4 on [0, 5].",
    "In how many ways can 5 different books be arranged on a shelf?",
    "What is the probability of rolling two sixes with two fair dice?",
    "Prove that the square root of 2 is irrational.",
    "Convert 3/8 to a decimal and to a percentage.",
]

# Programming exercises ("given an array ..., return ...", often with examples and a language to
# use) ask for code: text_to_code_translation, not closed_qa or exam_problem_solving_tutor.
_CODE_EXERCISES = [
    "Given a list of integers, return the second largest value. Write it in Python.",
    "Given a string s, find the length of the longest substring without repeating characters.",
    "Write a Java method that checks whether a binary tree is height-balanced.",
    "Given two sorted arrays, merge them into one sorted array. Please use C++ to solve the question.",
    "Given a linked list, detect whether it contains a cycle. Solve it in Go.",
    "Implement a stack that supports push, pop and getMin in constant time, in Python.",
    "Given an array of meeting time intervals, find the minimum number of rooms required. Please use Java.",
    "Given an n x n matrix, rotate it by 90 degrees clockwise in place.",
    "Given an integer n, generate all combinations of n pairs of well-formed parentheses.",
    "Find the kth smallest element in an unsorted array. You may use any language.",
    "Given a list of words, group the anagrams together. For example, [\"eat\",\"tea\",\"tan\"] gives [[\"eat\",\"tea\"],[\"tan\"]].",
    "Implement binary search over a sorted array of integers in C.",
    "Given an array of daily stock prices, find the largest profit from one buy and one later sell. Example: prices = [7,1,5,3,6,4], output 5.",
    "Given a string of brackets, determine whether it is balanced. Please use JavaScript to solve the above question.",
    "Design and implement an LRU cache with get and put in O(1) time.",
    "Given the root of a binary tree, return the values level by level.",
    "Count the islands in a 2D grid of '1's (land) and '0's (water). Solve it with breadth-first search in Python.",
    "Reverse the order of the words in a sentence without using split(). Use C#.",
    "Given an array of integers nums and an integer k, return the number of contiguous subarrays whose sum equals k.\n\nExample 1:\nInput: nums = [1,1,1], k = 2\nOutput: 2",
    "Given a sorted array with duplicates, remove the duplicates in place and return the new length. For example, [1,1,2] becomes [1,2] with length 2.",
]

# ... while the same "given X, return Y" wording over a sentence or a list of things is the text
# task itself, not code.
_GIVEN_TEXT = [
    ("ordering", "Given a list of words, put them in alphabetical order.\n\npear, apple, mango, kiwi"),
    ("ordering", "Given these events, return them in the order they happened.\n\nthe first Moon landing, the French Revolution, the invention of the telephone"),
    ("general_classification", "Given a list of animals, return the ones that are mammals.\n\nshark, dolphin, eagle, bat, frog"),
    ("general_classification", "Given a list of foods, say which are fruits and which are vegetables.\n\ncarrot, banana, leek, plum"),
    ("information_extraction", "Given a sentence, return the names of the people in it.\n\nMaria met Tom and Dr. Okafor at the station."),
    ("text_correction", "Given a sentence, return it with the spelling mistakes fixed.\n\nI recieved the pakage yesterday."),
    ("natural_language_learning_tutor", "Given a sentence, identify its subject, verb and object.\n\nThe cat chased the mouse."),
    ("sentiment_analysis", "Given a product review, return whether it is positive or negative.\n\nThe battery died after two days."),
    ("closed_qa", "Given the text below, return the year the bridge opened.\n\nThe bridge over the Tagus opened in 1966 and was renamed in 1974."),
    ("paraphrasing", "Given a sentence, return a version with the same meaning in other words.\n\nThe meeting has been postponed until further notice."),
]

# "What if ..." questions about history or the world: a question, none of the specific types
# (open_qa), whatever numbers or dates they hold.
_WHAT_IF = [
    "What if the Library of Alexandria had never burned? How would science have developed?",
    "How would daily life be different if the printing press had been invented 500 years later?",
    "What would have happened if the Spanish Armada had won in 1588?",
    "If the internet had never been invented, how would people communicate today?",
]

HAND: list[tuple[str, str]] = (
    [("math_puzzles", t) for t in _MATH_EXERCISES]
    + [("text_to_code_translation", t) for t in _CODE_EXERCISES]
    + _GIVEN_TEXT
    + [("open_qa", t) for t in _WHAT_IF]
    + [(label, t) for label, texts in _BRAINSTORM.items() for t in texts]
    + [("open_qa", t) for t in _FACT_LISTS]
    + [(label, t) for label, texts in _NUMBERS_NOT_MATH.items() for t in texts]
)
