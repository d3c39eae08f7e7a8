fn main() {
    println!("netanomaly");
}
