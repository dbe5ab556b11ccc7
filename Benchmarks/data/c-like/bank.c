float checking = 1250.75;
// A toy bank ledger: accounts are kept in globals, interest is compounded
// monthly, and every transaction is checked against the overdraft limit.
float savings = 8000.0;
float overdraft_limit = -200.0;
int transactions = 0;
int rejected = 0;
char currency = '$';

int can_withdraw(float balance, float amount) {
    return balance - amount >= overdraft_limit;
}

float deposit(float balance, float amount) {
    if (amount <= 0.0) {
        rejected += 1;
        return balance;
    }
    transactions += 1;
    return balance + amount;
}

float withdraw(float balance, float amount) {
    if (!can_withdraw(balance, amount)) {
        rejected += 1;
        log_error("withdrawal rejected", amount);
        return balance;
    }
    transactions += 1;
    return balance - amount;
}

float monthly_interest(float balance, float yearly_rate) {
    float monthly = yearly_rate / 12.0;
    if (balance < 0.0) {
        // Negative balances pay the overdraft rate instead.
        monthly = 0.18 / 12.0;
    }
    return balance * monthly;
}

float compound(float balance, float yearly_rate, int months) {
    int m = 0;
    while (m < months) {
        balance += monthly_interest(balance, yearly_rate);
        m += 1;
    }
    return balance;
}

void transfer(float amount) {
    if (can_withdraw(checking, amount)) {
        checking = withdraw(checking, amount);
        savings = deposit(savings, amount);
    } else {
        log_error("transfer failed: insufficient funds", amount);
    }
}

void statement(int month) {
    print("month ", month, ": checking ", currency, checking);
    print("          savings  ", currency, savings);
    if (checking < 0.0 && savings > -checking) {
        print("  note: move funds to cover the overdraft");
    }
}

int main() {
    for (int month = 1; month <= 12; month += 1) {
        checking = deposit(checking, 3200.0);
        checking = withdraw(checking, 1450.0);
        checking = withdraw(checking, 220.5 + month * 3.25);
        if (month % 3 == 0) {
            transfer(500.0);
        }
        savings = compound(savings, 0.035, 1);
        checking = compound(checking, 0.001, 1);
        statement(month);
    }
    print("transactions: ", transactions, ", rejected: ", rejected);
    return rejected > 0;
}
